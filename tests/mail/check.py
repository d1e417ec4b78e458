"""Checks messages written by smtpd.py (or by `mail_raw`) with Python's own
email package, which we did not write.

  check.py mime FILE [--link URL] [--text S]... [--html S]... [--not-html S]...
                     [--not-text S]... [--subject S] [--msgid ID] [--to ADDR]
      FILE is one RFC 5322 message: multipart/alternative with a text/plain
      and a text/html part, UTF-8; the link (exact), texts and subject must
      be where they are named.
  check.py count DIR N [--exactly-once]
      DIR holds N distinct Message-IDs; a Message-ID seen twice must be the
      same bytes; with --exactly-once, none is seen twice.
Exit 0 when all holds; 1 with the reason on stderr.
"""
import argparse
import email
import email.policy
import glob
import os
import re
import sys


def fail(msg):
    sys.stderr.write('check.py: %s\n' % msg)
    sys.exit(1)


def mime(a):
    raw = open(a.file, 'rb').read()
    for i, line in enumerate(raw.split(b'\r\n')):
        if len(line) > 998:
            fail('line %d longer than 998 bytes (RFC 5322 2.1.1)' % i)
    if re.search(rb'(?<!\r)\n', raw):
        fail('bare LF in the message')
    m = email.message_from_bytes(raw, policy=email.policy.default)
    if m.get_content_type() != 'multipart/alternative':
        fail('top-level type is %s' % m.get_content_type())
    parts = list(m.iter_parts())
    types = [p.get_content_type() for p in parts]
    if types != ['text/plain', 'text/html']:
        fail('parts are %s' % types)
    for p in parts:
        if p.get_content_charset() != 'utf-8':
            fail('%s charset %s' % (p.get_content_type(), p.get_content_charset()))
        if p['Content-Transfer-Encoding'] not in ('quoted-printable', 'base64'):
            fail('%s encoding %s' % (p.get_content_type(), p['Content-Transfer-Encoding']))
    text = parts[0].get_content()
    html = parts[1].get_content()
    for h in ('Date', 'From', 'To', 'Subject', 'Message-ID', 'MIME-Version'):
        if m[h] is None:
            fail('no %s header' % h)
    if a.subject is not None and str(m['Subject']) != a.subject:
        fail('subject %r, expected %r' % (str(m['Subject']), a.subject))
    if a.msgid is not None and m['Message-ID'].strip() != a.msgid:
        fail('Message-ID %r, expected %r' % (m['Message-ID'], a.msgid))
    if a.to is not None and m['To'].addresses[0].addr_spec != a.to:
        fail('To %r, expected %r' % (str(m['To']), a.to))
    if a.link is not None:
        words = re.findall(r'\S+', text)
        if a.link not in words:
            fail('link %r not in the text part:\n%s' % (a.link, text))
        hrefs = re.findall(r'href="([^"]*)"', html)
        if a.link not in hrefs:
            fail('link %r not an href of the HTML part (%s)' % (a.link, hrefs))
    for s in a.text or []:
        if s not in text:
            fail('%r not in the text part:\n%s' % (s, text))
    for s in a.not_text or []:
        if s in text:
            fail('%r in the text part' % s)
    for s in a.html or []:
        if s not in html:
            fail('%r not in the HTML part:\n%s' % (s, html))
    for s in a.not_html or []:
        if s in html:
            fail('%r in the HTML part:\n%s' % (s, html))


def count(a):
    seen = {}
    total = 0
    for f in sorted(glob.glob(os.path.join(a.dir, '*.eml'))):
        raw = open(f, 'rb').read()
        m = email.message_from_bytes(raw, policy=email.policy.default)
        mid = (m['Message-ID'] or '').strip()
        if not mid:
            fail('%s has no Message-ID' % f)
        total += 1
        if mid in seen:
            if seen[mid][0] != raw:
                fail('%s: Message-ID %s seen twice with different bytes' % (f, mid))
            seen[mid][1] += 1
        else:
            seen[mid] = [raw, 1]
    dups = sum(v[1] - 1 for v in seen.values())
    print('distinct=%d total=%d duplicates=%d' % (len(seen), total, dups))
    if len(seen) != a.n:
        fail('%d distinct Message-IDs, expected %d' % (len(seen), a.n))
    if a.exactly_once and dups:
        fail('%d duplicates' % dups)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest='cmd', required=True)
    p = sub.add_parser('mime')
    p.add_argument('file')
    p.add_argument('--link')
    p.add_argument('--subject')
    p.add_argument('--msgid')
    p.add_argument('--to')
    p.add_argument('--text', action='append')
    p.add_argument('--not-text', action='append')
    p.add_argument('--html', action='append')
    p.add_argument('--not-html', action='append')
    p = sub.add_parser('count')
    p.add_argument('dir')
    p.add_argument('n', type=int)
    p.add_argument('--exactly-once', action='store_true')
    a = ap.parse_args()
    mime(a) if a.cmd == 'mime' else count(a)


if __name__ == '__main__':
    main()
