/*
 * tag.c - placing a visible signature at a tag string found in the page
 * text (the BSrE guide's `tag_koordinat`: "a special character, for example
 * # or $, put in the document where the specimen goes").
 *
 * Finding text on a page needs the page's fonts, encodings and text
 * matrices: poppler's GLib interface does that (poppler_page_find_text), a
 * maintained Debian library already in the test tools (pdfsig, pdftoppm).
 * poppler reads the document from our buffer without copying it; its
 * syntax warnings go to GLib's log at the info level, which GLib does not
 * print unless G_MESSAGES_DEBUG asks.
 *
 * Choices where the guide is silent (docs/ESIGN_API.md repeats them): the
 * first occurrence counts, pages in order, then top to bottom as poppler
 * finds it on a page; the box is centred on the tag and moved inside the
 * page's box if it would stick out; the tag is left in the document (the
 * specimen covers it when the box is larger than the tag).
 */
#include <string.h>

#include <poppler.h>

#include "sign.h"

static int tag_clean(const char *tag)
{
	size_t n = strlen(tag);

	if (n == 0 || n > SIGN_MAX_TAG_BYTES || !g_utf8_validate(tag, (gssize)n, NULL))
		return 0;
	for (const unsigned char *p = (const unsigned char *)tag; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 0;
	/* only space is not a tag: poppler's search ignores it */
	for (const char *p = tag; *p; p++)
		if (*p != ' ')
			return 1;
	return 0;
}

oa_err sign_pdf_find_tag(const uint8_t *pdf, size_t len, const char *tag, int *page_out,
    double rect[4], double box_out[4])
{
	return sign_pdf_find_tag_pw(pdf, len, NULL, tag, page_out, rect, box_out);
}

oa_err sign_pdf_find_tag_pw(const uint8_t *pdf, size_t len, const char *password, const char *tag,
    int *page_out, double rect[4], double box_out[4])
{
	PopplerDocument *doc;
	GBytes *bytes;
	GError *gerr = NULL;
	int npages, found = 0;
	oa_err rc = OA_OK;

	*page_out = 0;
	if (!tag || !tag_clean(tag))
		return oa_fail(OA_ERR_INVALID, "signature tag: 1 to %d bytes of UTF-8 text without"
		    " control characters, not only spaces", SIGN_MAX_TAG_BYTES);
	if (!pdf || len == 0 || len > SIGN_MAX_PDF_BYTES)
		return oa_fail(OA_ERR_INVALID, "broken PDF: empty or over %d bytes", SIGN_MAX_PDF_BYTES);
	if (password && *password) {
		/* poppler 22.12 crashes in PDFDoc's constructor on a wrong password:
		 * qpdf checks it first */
		double b[4];
		int r;
		if ((rc = sign_pdf_page_box_pw(pdf, len, password, 1, b, &r)))
			return rc;
	}
	bytes = g_bytes_new_static(pdf, len);
	doc = poppler_document_new_from_bytes(bytes, password && *password ? password : NULL, &gerr);
	if (!doc) {
		int locked = gerr && gerr->domain == POPPLER_ERROR && gerr->code == POPPLER_ERROR_ENCRYPTED;
		g_clear_error(&gerr);
		g_bytes_unref(bytes);
		return locked ? oa_fail(OA_ERR_INVALID, "PDF password: the PDF is encrypted and the "
		    "password given (if any) does not open it") :
		    oa_fail(OA_ERR_INVALID, "broken PDF: its pages cannot be read");
	}
	npages = poppler_document_get_n_pages(doc);
	for (int i = 0; i < npages && i < SIGN_MAX_TAG_PAGES && !found; i++) {
		PopplerPage *pg = poppler_document_get_page(doc, i);
		GList *hits;
		double box[4];
		int rot;

		if (!pg)
			continue;
		hits = poppler_page_find_text_with_options(pg, tag, POPPLER_FIND_CASE_SENSITIVE);
		if (hits) {
			/* poppler's rectangle: points from the lower-left corner of
			 * the page as it is seen (poppler lays the text out with the
			 * page's /Rotate applied), which is sign_visual's space once
			 * the crop box's corner is added */
			PopplerRectangle *r = hits->data;
			rc = sign_pdf_page_box_pw(pdf, len, password, i + 1, box, &rot);
			if (rc == OA_OK) {
				sign_page_view_box(box, rot, box);
				rect[0] = box[0] + (r->x1 < r->x2 ? r->x1 : r->x2);
				rect[1] = box[1] + (r->y1 < r->y2 ? r->y1 : r->y2);
				rect[2] = box[0] + (r->x1 < r->x2 ? r->x2 : r->x1);
				rect[3] = box[1] + (r->y1 < r->y2 ? r->y2 : r->y1);
				*page_out = i + 1;
				if (box_out)
					memcpy(box_out, box, sizeof box);
				found = 1;
			}
			g_list_free_full(hits, (GDestroyNotify)poppler_rectangle_free);
		}
		g_object_unref(pg);
		if (rc)
			break;
	}
	g_object_unref(doc);
	g_bytes_unref(bytes);
	if (rc)
		return rc;
	if (!found)
		return npages > SIGN_MAX_TAG_PAGES ?
		    oa_fail(OA_ERR_NOTFOUND, "the tag is not in the first %d pages of the PDF",
		        SIGN_MAX_TAG_PAGES) :
		    oa_fail(OA_ERR_NOTFOUND, "the tag is not in the PDF's text");
	return OA_OK;
}

oa_err sign_visual_at_tag(const uint8_t *pdf, size_t len, const char *tag, sign_visual *v)
{
	return sign_visual_at_tag_pw(pdf, len, NULL, tag, v);
}

oa_err sign_visual_at_tag_pw(const uint8_t *pdf, size_t len, const char *password, const char *tag,
    sign_visual *v)
{
	double r[4], box[4], cx, cy;
	int page;
	oa_err rc;

	if (!(v->w >= 1 && v->w <= 14400 && v->h >= 1 && v->h <= 14400))
		return oa_fail(OA_ERR_INVALID, "visible signature: the box must be 1 to 14400 points"
		    " wide and high");
	if ((rc = sign_pdf_find_tag_pw(pdf, len, password, tag, &page, r, box)))
		return rc;
	cx = (r[0] + r[2]) / 2;
	cy = (r[1] + r[3]) / 2;
	v->page = page;
	v->x = cx - v->w / 2;
	v->y = cy - v->h / 2;
	/* inside the page where it fits; a box larger than the page keeps its
	 * lower-left corner on the page's */
	if (v->x + v->w > box[2])
		v->x = box[2] - v->w;
	if (v->y + v->h > box[3])
		v->y = box[3] - v->h;
	if (v->x < box[0])
		v->x = box[0];
	if (v->y < box[1])
		v->y = box[1];
	return OA_OK;
}
