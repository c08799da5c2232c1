"""Finding passages: BM25 over jieba terms, FAISS over embeddings, and their fusion."""
