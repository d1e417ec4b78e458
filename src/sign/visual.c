/*
 * visual.c - the appearance of a visible signature (ISO 32000-1 12.5.5,
 * 12.7.4.5): a Form XObject for the widget's /AP /N, drawing in its box a QR
 * code (libqrencode, one filled rectangle per run of dark modules), the
 * holder's specimen image (a JPEG passed through with /DCTDecode; a PNG
 * decoded by libpng and written with /FlateDecode, its alpha channel as an
 * /SMask) and lines of text in Helvetica (WinAnsiEncoding: characters outside
 * Latin-1 become '?').
 *
 * Layout, left to right: the QR code as a square of the box's height (if
 * any), then the image (if any) fitted above the text (if any), each keeping
 * its aspect ratio, centred in what is left.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>
#include <qrencode.h>
#include <zlib.h>

#include "signInt.h"

#define TRY(x) do { if ((rc = (x)) != OA_OK) goto out; } while (0)

/* An image ready for an XObject. */
typedef struct img {
	int w, h, comps;         /* components: 1 gray, 3 RGB */
	int jpeg;                /* data is the JPEG file itself */
	uint8_t *data;           /* JPEG bytes, or deflated samples */
	size_t len;
	uint8_t *alpha;          /* deflated alpha samples, or NULL */
	size_t alen;
} img;

static void img_free(img *m)
{
	free(m->data);
	free(m->alpha);
	memset(m, 0, sizeof *m);
}

/* A JPEG's size and components from its first SOF marker. */
static oa_err jpeg_info(const uint8_t *p, size_t n, img *m)
{
	size_t i = 2;

	if (n < 4 || p[0] != 0xff || p[1] != 0xd8)
		return oa_fail(OA_ERR_INVALID, "the image is not a JPEG or PNG file");
	while (i + 4 <= n) {
		uint8_t mk;
		size_t seg;
		if (p[i] != 0xff)
			break;
		mk = p[i + 1];
		if (mk == 0xff) { /* fill byte */
			i++;
			continue;
		}
		seg = (size_t)p[i + 2] << 8 | p[i + 3];
		if (seg < 2 || i + 2 + seg > n)
			break;
		/* SOF0..SOF15 but DHT (c4), JPG (c8), DAC (cc) */
		if (mk >= 0xc0 && mk <= 0xcf && mk != 0xc4 && mk != 0xc8 && mk != 0xcc) {
			if (seg < 8)
				break;
			if (p[i + 4] != 8)
				return oa_fail(OA_ERR_INVALID, "JPEG with %d-bit samples: 8 are supported", p[i + 4]);
			m->h = p[i + 5] << 8 | p[i + 6];
			m->w = p[i + 7] << 8 | p[i + 8];
			m->comps = p[i + 9];
			if (m->comps != 1 && m->comps != 3)
				return oa_fail(OA_ERR_INVALID, "JPEG with %d components: gray or RGB is supported",
				    m->comps);
			if (m->w < 1 || m->h < 1 || m->w > SIGN_MAX_IMAGE_SIDE || m->h > SIGN_MAX_IMAGE_SIDE)
				return oa_fail(OA_ERR_LIMIT, "JPEG of %dx%d pixels: at most %d on a side",
				    m->w, m->h, SIGN_MAX_IMAGE_SIDE);
			return OA_OK;
		}
		i += 2 + seg;
	}
	return oa_fail(OA_ERR_INVALID, "broken JPEG: no frame header");
}

static oa_err deflate_buf(const uint8_t *in, size_t n, uint8_t **out, size_t *outlen)
{
	uLongf cap = compressBound((uLong)n);

	if ((*out = malloc(cap)) == NULL)
		return oa_fail(OA_ERR_NOMEM, "out of memory");
	if (compress2(*out, &cap, in, (uLong)n, 6) != Z_OK) {
		free(*out);
		*out = NULL;
		return oa_fail(OA_ERR_INTERNAL, "zlib could not compress the image");
	}
	*outlen = cap;
	return OA_OK;
}

/* A PNG decoded to 8-bit RGBA by libpng's simplified API, split into colour and alpha. */
static oa_err png_read(const uint8_t *p, size_t n, img *m)
{
	png_image pi;
	uint8_t *px = NULL, *rgb = NULL, *a = NULL;
	size_t npx;
	int opaque = 1;
	oa_err rc = OA_OK;

	memset(&pi, 0, sizeof pi);
	pi.version = PNG_IMAGE_VERSION;
	if (!png_image_begin_read_from_memory(&pi, p, n))
		return oa_fail(OA_ERR_INVALID, "broken PNG: %s", pi.message);
	if (pi.width < 1 || pi.height < 1 || pi.width > SIGN_MAX_IMAGE_SIDE ||
	    pi.height > SIGN_MAX_IMAGE_SIDE) {
		png_image_free(&pi);
		return oa_fail(OA_ERR_LIMIT, "PNG of %ux%u pixels: at most %d on a side", pi.width,
		    pi.height, SIGN_MAX_IMAGE_SIDE);
	}
	pi.format = PNG_FORMAT_RGBA;
	npx = (size_t)pi.width * pi.height;
	if ((px = malloc(npx * 4)) == NULL || (rgb = malloc(npx * 3)) == NULL ||
	    (a = malloc(npx)) == NULL) {
		png_image_free(&pi);
		TRY(oa_fail(OA_ERR_NOMEM, "out of memory"));
	}
	if (!png_image_finish_read(&pi, NULL, px, 0, NULL))
		TRY(oa_fail(OA_ERR_INVALID, "broken PNG: %s", pi.message));
	for (size_t i = 0; i < npx; i++) {
		memcpy(rgb + 3 * i, px + 4 * i, 3);
		a[i] = px[4 * i + 3];
		opaque &= a[i] == 0xff;
	}
	m->w = (int)pi.width;
	m->h = (int)pi.height;
	m->comps = 3;
	TRY(deflate_buf(rgb, npx * 3, &m->data, &m->len));
	if (!opaque)
		TRY(deflate_buf(a, npx, &m->alpha, &m->alen));
out:
	free(px);
	free(rgb);
	free(a);
	return rc;
}

static oa_err img_load(const uint8_t *p, size_t n, img *m)
{
	oa_err rc;

	memset(m, 0, sizeof *m);
	if (n > SIGN_MAX_IMAGE_BYTES)
		return oa_fail(OA_ERR_LIMIT, "image of %zu bytes: the limit is %d (SIGN_MAX_IMAGE_BYTES)",
		    n, SIGN_MAX_IMAGE_BYTES);
	if (n >= 8 && memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0) {
		if ((rc = png_read(p, n, m)))
			img_free(m);
		return rc;
	}
	if ((rc = jpeg_info(p, n, m)))
		return rc;
	if ((m->data = malloc(n)) == NULL)
		return oa_fail(OA_ERR_NOMEM, "out of memory");
	memcpy(m->data, p, n);
	m->len = n;
	m->jpeg = 1;
	return OA_OK;
}

/* A PDF literal string of s in WinAnsiEncoding (UTF-8 in; beyond Latin-1: '?'). */
static oa_err put_latin1(oa_buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	oa_err rc = oa_buf_append(b, "(", 1);

	while (!rc && *p) {
		unsigned cp = *p++;
		char c;
		if (cp >= 0x80) {
			int more = (cp & 0xe0) == 0xc0 ? 1 : (cp & 0xf0) == 0xe0 ? 2 : (cp & 0xf8) == 0xf0 ? 3 : 0;
			cp = more == 1 ? cp & 0x1f : more == 2 ? cp & 0x0f : cp & 0x07;
			for (int i = 0; i < more && (*p & 0xc0) == 0x80; i++)
				cp = cp << 6 | (*p++ & 0x3f);
			if (!more)
				cp = '?';
		}
		c = (char)(cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || cp > 0xff ? '?' : cp);
		if (c == '(' || c == ')' || c == '\\')
			rc = oa_buf_printf(b, "\\%c", c);
		else if ((unsigned char)c >= 0x20 && (unsigned char)c < 0x7f)
			rc = oa_buf_append(b, &c, 1);
		else
			rc = oa_buf_printf(b, "\\%03o", (unsigned char)c);
	}
	return rc ? rc : oa_buf_append(b, ")", 1);
}

/* Helvetica's average advance, for fitting lines: 0.55 em. */
static double text_width(const char *s, double size)
{
	return 0.55 * size * (double)oa_utf8_chars(s);
}

static oa_err put_str(oa_buf *b, const char *s)
{
	return oa_buf_append(b, s, strlen(s));
}

/*
 * Appends "N 0 obj ... endobj" of a stream with dict (no /Length, no
 * strings) and data, encrypted as the document is (cr).
 */
static oa_err put_stream(oa_buf *b, const sign_crypt *cr, long long id, const char *dict,
    const void *data, size_t n)
{
	oa_buf e = {0};
	oa_err rc = sign_crypt_stream(cr, id, 0, data, n, &e);

	if (!rc)
		rc = oa_buf_printf(b, "%lld 0 obj\n<< %s /Length %zu >>\nstream\n", id, dict, e.len);
	if (!rc)
		rc = oa_buf_append(b, e.data, e.len);
	oa_buf_free(&e);
	return rc ? rc : put_str(b, "\nendstream\nendobj\n");
}

oa_err sign_visual_check(const sign_visual *v)
{
	if (v->page < 1)
		return oa_fail(OA_ERR_INVALID, "visible signature: page numbers start at 1");
	if (!(v->w >= 1 && v->h >= 1 && v->w <= 14400 && v->h <= 14400) ||
	    !(fabs(v->x) <= 14400 && fabs(v->y) <= 14400))
		return oa_fail(OA_ERR_INVALID, "visible signature: the box must be 1 to 14400 points "
		    "wide and high, inside +-14400");
	if (v->image && v->image_len == 0)
		return oa_fail(OA_ERR_INVALID, "visible signature: empty image");
	if (v->qr && (strlen(v->qr) == 0 || strlen(v->qr) > SIGN_MAX_QR_BYTES))
		return oa_fail(OA_ERR_LIMIT, "visible signature: QR text of 1 to %d bytes",
		    SIGN_MAX_QR_BYTES);
	for (int i = 0; i < SIGN_VISUAL_LINES; i++)
		if (v->lines[i] && (strlen(v->lines[i]) > SIGN_MAX_TEXT_BYTES ||
		    !oa_is_clean_utf8(v->lines[i])))
			return oa_fail(OA_ERR_INVALID, "visible signature: text line %d is not clean text "
			    "of at most %d bytes", i + 1, SIGN_MAX_TEXT_BYTES);
	if (!v->image && !v->qr && !v->lines[0])
		return oa_fail(OA_ERR_INVALID, "visible signature: nothing to show (no image, QR code "
		    "or text)");
	return OA_OK;
}

oa_err sign_visual_write(oa_buf *b, const sign_visual *v, int rotate, const sign_crypt *cr,
    long long first_id, size_t offs[3], int *nobj)
{
	oa_buf c = {0}, res = {0};
	img m = {0};
	QRcode *qr = NULL;
	double w = v->w, h = v->h, left = 0;
	long long img_id = first_id + 1, smask_id = first_id + 2;
	int nlines = 0;
	char dict[512];
	oa_err rc = OA_OK;

	*nobj = 0;
	TRY(sign_visual_check(v));
	for (int i = 0; i < SIGN_VISUAL_LINES && v->lines[i]; i++)
		nlines++;
	if (v->image)
		TRY(img_load(v->image, v->image_len, &m));

	TRY(put_str(&c, "q\n"));
	/* the QR code: a square of the box's height (or width), quiet zone of 2 modules */
	if (v->qr) {
		double side = h < w ? h : w, mod;
		if ((qr = QRcode_encodeString8bit(v->qr, 0, QR_ECLEVEL_M)) == NULL)
			TRY(oa_fail(OA_ERR_INVALID, "visible signature: the QR text cannot be encoded"));
		mod = side / (qr->width + 4);
		TRY(oa_buf_printf(&c, "q 1 g 0 0 %.3f %.3f re f 0 g %.4f 0 0 %.4f %.4f %.4f cm\n", side,
		    side, mod, mod, 2 * mod, 2 * mod));
		for (int r = 0; r < qr->width; r++)
			for (int col = 0; col < qr->width;) {
				int run = 0;
				while (col + run < qr->width && (qr->data[r * qr->width + col + run] & 1))
					run++;
				if (run)
					TRY(oa_buf_printf(&c, "%d %d %d 1 re\n", col, qr->width - 1 - r, run));
				col += run ? run : 1;
			}
		TRY(put_str(&c, "f Q\n"));
		left = side + (w - side > 4 ? 4 : 0);
	}
	/* the image above the text, both in what is left */
	{
		double aw = w - left, ah = h, th = nlines ? (m.data ? ah * 0.4 : ah) : 0, ih = ah - th;
		if (m.data && aw > 1 && ih > 1) {
			double s = aw / m.w < ih / m.h ? aw / m.w : ih / m.h, dw = s * m.w, dh = s * m.h;
			TRY(oa_buf_printf(&c, "q %.3f 0 0 %.3f %.3f %.3f cm /Im1 Do Q\n", dw, dh,
			    left + (aw - dw) / 2, th + (ih - dh) / 2));
		}
		if (nlines && aw > 1) {
			double size = th / nlines / 1.25, lead;
			for (int i = 0; i < nlines; i++) {
				double tw = text_width(v->lines[i], 1);
				if (tw > 0 && size * tw > aw - 2)
					size = (aw - 2) / tw;
			}
			if (size > 12)
				size = 12;
			lead = size * 1.2;
			TRY(oa_buf_printf(&c, "BT /F1 %.3f Tf 0 g %.3f TL %.3f %.3f Td\n", size, lead,
			    left + 1, th - (th - lead * nlines) / 2 - size));
			for (int i = 0; i < nlines; i++) {
				TRY(put_latin1(&c, v->lines[i]));
				TRY(put_str(&c, i + 1 < nlines ? " Tj T*\n" : " Tj\n"));
			}
			TRY(put_str(&c, "ET\n"));
		}
	}
	TRY(put_str(&c, "Q\n"));

	/* the form */
	TRY(put_str(&res, "/ProcSet [/PDF /Text /ImageB /ImageC]"));
	if (m.data)
		TRY(oa_buf_printf(&res, " /XObject << /Im1 %lld 0 R >>", img_id));
	if (nlines)
		TRY(put_str(&res, " /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica"
		    " /Encoding /WinAnsiEncoding >> >>"));
	/* on a page with /Rotate the form is turned counter-clockwise by as much,
	 * so that it shows upright; the widget's /Rect is the turned box (ISO
	 * 32000-1 12.5.5: the /BBox transformed by /Matrix is fitted to /Rect) */
	snprintf(dict, sizeof dict, "/Type /XObject /Subtype /Form /BBox [0 0 %.3f %.3f] "
	    "%s/Resources << %.*s >>", w, h,
	    rotate == 90 ? "/Matrix [0 1 -1 0 0 0] " : rotate == 180 ? "/Matrix [-1 0 0 -1 0 0] " :
	    rotate == 270 ? "/Matrix [0 -1 1 0 0 0] " : "", (int)res.len, (const char *)res.data);
	offs[(*nobj)++] = b->len;
	TRY(put_stream(b, cr, first_id, dict, c.data, c.len));
	if (m.data) {
		snprintf(dict, sizeof dict, "/Type /XObject /Subtype /Image /Width %d /Height %d "
		    "/ColorSpace /%s /BitsPerComponent 8 /Filter /%s%s", m.w, m.h,
		    m.comps == 1 ? "DeviceGray" : "DeviceRGB", m.jpeg ? "DCTDecode" : "FlateDecode", "");
		if (m.alpha) {
			size_t dl = strlen(dict);
			snprintf(dict + dl, sizeof dict - dl, " /SMask %lld 0 R", smask_id);
		}
		offs[(*nobj)++] = b->len;
		TRY(put_stream(b, cr, img_id, dict, m.data, m.len));
		if (m.alpha) {
			snprintf(dict, sizeof dict, "/Type /XObject /Subtype /Image /Width %d /Height %d "
			    "/ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode", m.w, m.h);
			offs[(*nobj)++] = b->len;
			TRY(put_stream(b, cr, smask_id, dict, m.alpha, m.alen));
		}
	}
out:
	QRcode_free(qr);
	img_free(&m);
	oa_buf_free(&c);
	oa_buf_free(&res);
	return rc;
}
