"""ModernBERT rebuilt from scratch as a notebook-first course and library: RoPE, GeGLU, alternating attention, unpadding, packing and the three-phase recipe"""

__version__ = "0.0.1"
