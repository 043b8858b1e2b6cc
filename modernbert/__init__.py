"""ModernBERT rebuilt from scratch as a notebook-first course and library: RoPE, GeGLU, alternating attention, unpadding, packing and the three-phase recipe

Modules:

- `modernbert.attention`: Alternating global and local attention over packed documents: the eager reference, the +/-64 window, and one table of backends with a resolver whose choice you can see.
- `modernbert.bench`: The paper's speed protocol (fixed and variable lengths, short and long context, the largest batch that fits) against transformers, the GPU fast path checked against eager, and training throughput with MFU.
- `modernbert.evaluate`: The evaluation suite: retrieval metrics checked against sentence-transformers, BM25, code search and long-document retrieval built from held-out standard-library modules, topic classification, a packaged MiniLM baseline, and the `modernbert-eval` command.
- `modernbert.finetune`: Task heads with transformers' names (sequence and token classification), a dense embedding model and a ColBERT multi-vector model that sentence-transformers loads, and the harness that fine-tunes them on packed batches: the GLUE protocol, and a real topic-classification task fetched from PyPI.
- `modernbert.model`: Embeddings, layers, the MLM head with sparse prediction, the paper's initialization, and transformers import/export, matched against transformers' ModernBERT number for number.
- `modernbert.optim`: StableAdamW with per-tensor update clipping and fully decoupled weight decay, the parameter groups, and the warmup-stable-decay learning rate with a 1-sqrt tail.
- `modernbert.phases`: The training recipe as data, each phase starting from the last, and the main command: a fresh machine to a trained, evaluated, exported ModernBERT.
- `modernbert.shapes`: The constrained grid search behind ModernBERT's dimensions, as a tool: candidate shapes inside a parameter budget, their cost on a basket of GPUs from tile and wave quantization, measured cost on this machine, and the Pareto front.
- `modernbert.tiling`: Start a larger ModernBERT from a smaller trained one: a depth map that repeats layers, and center tiling with wraparound that copies every weight into the wider shapes, Q/K/V and the GeGLU halves each on their own.
- `modernbert.train`: The pretraining loop: packed batches with sparse prediction, bf16 autocast, progress bars, metrics, evaluation, checkpoints that resume exactly, and the same loop under `torchrun` with DDP or FSDP2."""

__version__ = "0.0.1"
