"""Builds and stores the index: loading and cleaning articles, chunks, vectors, entities,
syndicated copies, and the stores (a local folder, or Milvus). Imports nothing of qa/, ui/ or
bench/."""
