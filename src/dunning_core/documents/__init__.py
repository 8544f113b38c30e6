"""Letters, formal notices, statements of account and Mahnungen as PDF.

The documents are data first (:class:`~dunning_core.documents.letter.Letter`: every
text translated and formatted by :mod:`dunning_core.documents.compose`), printed by
:func:`~dunning_core.documents.letter.letter_pdf` with fpdf2 (the ``letters`` extra,
imported only when a PDF is made). The DejaVu fonts ship in ``documents/fonts`` with
their licence.
"""
