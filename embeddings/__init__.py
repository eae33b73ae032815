"""Text -> vectors and the FAISS index on disk; the bottom layer, importing nothing of the
application above it.

    base                 the Encoder protocol, the cache key of a vector, RememberingEncoder,
                         HashEncoder (the deterministic fake of the unit tests)
    models               what a model setting names (bundled, local folder, hash); no imports
    loading              load_encoder: ONNX Runtime where it can, sentence-transformers otherwise
    onnx                 the ONNX Runtime encoder (fp32 or int8), exported once and cached
    sentence_transformer the sentence-transformers encoder
    index                VectorIndex (flat or HNSW) and its files
    offline              the offline Hugging Face environment
    errors               ModelError, IndexFileError

The package itself imports nothing, so a module that needs only names (qa.settings) does not
load numpy or FAISS.
"""
