"""ModernBERT rebuilt as a notebook-first course and library: RoPE, GeGLU, unpadding, packing, the three-phase recipe"""

__version__ = "0.0.1"
