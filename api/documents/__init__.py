"""Documents: press releases and their FAQs, revised, scored and approved (issue 10)."""
