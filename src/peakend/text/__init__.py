"""What customers write: comments segmented (jieba), tied to blueprint moments (their keywords), read for
polarity (a hall lexicon with negation, then SnowNLP), grouped into themes, and searchable (BM25)."""
