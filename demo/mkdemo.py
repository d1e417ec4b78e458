#!/usr/bin/env python3
"""mkdemo.py DIR - writes the sample documents scripts/demo.sh offers for
upload (SOP 001: request letter, recommendation, copies of the KTP and the
SK) and a letter to sign whose "$" marks the signature place; pasfoto.jpg
was rendered from fc-ktp.pdf by pdftoppm.  The files are committed: the
demo needs no python."""
import sys
def pdf(path, lines, tagline=None):
    text = "BT /F1 16 Tf 72 760 Td (%s) Tj ET\n" % lines[0]
    y = 730
    for l in lines[1:]:
        text += "BT /F1 11 Tf 72 %d Td (%s) Tj ET\n" % (y, l); y -= 18
    if tagline:
        text += "BT /F1 11 Tf 360 260 Td (Kepala Dinas,) Tj ET\n"
        text += "BT /F1 11 Tf 400 200 Td ($) Tj ET\n"
        text += "BT /F1 11 Tf 360 140 Td (%s) Tj ET\n" % tagline
    text = text.encode()
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents 5 0 R >>",
            b"<< /Length %d >>\nstream\n" % len(text) + text + b"\nendstream"]
    buf = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"); offs = []
    for n, body in enumerate(objs, 1):
        offs.append(len(buf)); buf += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    x = len(buf)
    buf += b"xref\n0 %d\n0000000000 65535 f\r\n" % (len(objs) + 1)
    for o in offs: buf += b"%010d 00000 n\r\n" % o
    buf += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, x)
    open(path, "wb").write(buf)
d = sys.argv[1]
pdf(d + "/surat-permohonan.pdf", ["Surat Permohonan Sertifikat Elektronik", "Kepada Yth. Kepala Dinas Komunikasi dan Informatika",
    "Dengan hormat, saya mengajukan permohonan penerbitan sertifikat elektronik.", "Nama: Siti Rahmawati", "(dokumen contoh untuk demo openams)"])
pdf(d + "/formulir-rekomendasi.pdf", ["Formulir Rekomendasi", "Atasan langsung merekomendasikan penerbitan sertifikat elektronik",
    "untuk pegawai yang namanya tersebut di bawah ini.", "(dokumen contoh untuk demo openams)"])
pdf(d + "/fc-ktp.pdf", ["Fotokopi KTP", "NIK: 1471015505900001", "Nama: Siti Rahmawati", "(dokumen contoh untuk demo openams)"])
pdf(d + "/fc-sk.pdf", ["Fotokopi SK Pengangkatan", "Surat Keputusan pengangkatan dalam jabatan", "(dokumen contoh untuk demo openams)"])
pdf(d + "/surat-untuk-ditandatangani.pdf", ["Surat Edaran Nomor 800/1/2026", "Tentang penggunaan tanda tangan elektronik",
    "di lingkungan Pemerintah Kabupaten.", "Tanda dolar di bawah menandai tempat tanda tangan (tag_koordinat).",
    "(dokumen contoh untuk demo openams)"], tagline="Siti Rahmawati")
