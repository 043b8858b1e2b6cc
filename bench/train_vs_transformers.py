"""Training throughput on CPU: our loop vs transformers' ModernBertForMaskedLM on padded batches.

Ours: `modernbert.train.Trainer` (greedy best-fit packing, unpadded model, sparse prediction, StableAdamW).
Theirs: transformers' `ModernBertForMaskedLM` (sdpa) fed by `DataCollatorForLanguageModeling` (dynamic padding to the
longest sequence of each batch), `torch.optim.AdamW`; once with the default dense head, once with
`sparse_prediction=True`. Same documents (standard-library .py files, tokenized with a byte-level BPE of 8,192 tokens
trained here on the same files), sequences of at most `--seq-len` tokens in the same order, same model shape
(hidden 256, 6 layers, 4 heads, GeGLU 384, window 128, a global layer every 3; or with `--shape base`
ModernBERT-base's: hidden 768, 22 layers, 12 heads, GeGLU 1152 and its 50,368-row vocabulary, of which the BPE uses
the first ids while both heads score every row), same 30% masking, fp32.
Both take about the same real tokens per step. Runs are interleaved (ours, theirs, theirs-sparse, ours, ...); each
run times `--steps` steps (data preparation included: packing and masking for ours, collation for theirs) after
`--warmup` steps, and the table reports the median over `--reps` runs of real (non-padding) tokens per wall-clock
second and per CPU-second of the process, and the median over reps of the ratio within each rep (ours and theirs
run seconds apart). On a machine shared with other jobs that paired ratio is the stable figure: CPU time leaves out
the time other jobs held the core, but not the slowdown they cause through shared caches and memory bandwidth, and
the speed of this machine drifted by 2x within minutes; a pair of runs seconds apart sees mostly the same machine.
One torch thread by default: on a 2-core machine shared with other jobs, a second thread mostly waits at OpenMP
barriers (measured: both loops ran 2-3x *slower* with 2 threads than with 1 at load ~12).
`--results` stores the table with the run's machine, date, command and commit (`core.run_info`) for the Measurements
appendix.
Run: python bench/train_vs_transformers.py [--reps 3] [--steps 8] [--warmup 2] [--threads 1] [--seq-len 512]
     [--batch 16] [--shape small|base] [--results results/train_vs_transformers.json]
"""
import argparse, json, os, random, statistics, sysconfig, tempfile, time
from pathlib import Path
import torch, transformers
from tokenizers import Tokenizer, models, pre_tokenizers, decoders, trainers
from transformers import PreTrainedTokenizerFast, DataCollatorForLanguageModeling
from modernbert.core import ModernBertConfig, config_to_hf_dict, md_table, run_info, write_json
from modernbert.packing import doc_chunks
from modernbert.train import Trainer, TrainConfig

SPECIALS = ['[UNK]', '[CLS]', '[SEP]', '[PAD]', '[MASK]']

def stdlib_texts(n_files=800, seed=0):
    "Up to `n_files` standard-library .py files (<= 60 kB) and the `pydoc_data` help topics (prose), shuffled."
    import pydoc_data.topics
    root = Path(sysconfig.get_paths()['stdlib'])
    files = [p for p in sorted(root.rglob('*.py')) if 'site-packages' not in p.parts and 0 < p.stat().st_size <= 60_000]
    random.Random(seed).shuffle(files)
    texts = [p.read_text(errors='replace') for p in files[:n_files]] + list(pydoc_data.topics.topics.values())
    random.Random(seed).shuffle(texts)
    return texts

def bpe(texts, vocab=8192):
    "A byte-level BPE with ModernBERT's specials (ids 0..4), wrapped for transformers."
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer, tok.decoder = pre_tokenizers.ByteLevel(add_prefix_space=False), decoders.ByteLevel()
    tok.train_from_iterator(texts, trainers.BpeTrainer(vocab_size=vocab, special_tokens=SPECIALS, show_progress=False,
                                                       initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    return PreTrainedTokenizerFast(tokenizer_object=tok, unk_token='[UNK]', cls_token='[CLS]', sep_token='[SEP]',
                                   pad_token='[PAD]', mask_token='[MASK]')

def model_config(tok, seq_len=512, shape='small'):
    ids = dict(pad_token_id=tok.pad_token_id, cls_token_id=tok.cls_token_id, sep_token_id=tok.sep_token_id,
               mask_token_id=tok.mask_token_id)
    if shape == 'base': return ModernBertConfig.base(**ids)
    return ModernBertConfig(vocab_size=-(-len(tok) // 64) * 64, hidden_size=256, intermediate_size=384,
                            num_hidden_layers=6, num_attention_heads=4, max_position_embeddings=max(1024, seq_len),
                            local_attention=128, global_attn_every_n_layers=3, **ids)

def _clock(): return time.perf_counter(), time.process_time()

def run_ours(cfg, seqs, rows, row_len, seq_len, n_steps, warmup, out):
    "(real tokens, wall s, CPU s) of our Trainer's steps warmup+1..warmup+n_steps: drawing (packing, masking) + step."
    tc = TrainConfig(max_steps=warmup + n_steps, rows=rows, row_len=row_len, seq_len=seq_len, lr=8e-4, precision='fp32',
                     log_every=1, progress=False, out_dir=str(out), seed=0)
    tr = Trainer(cfg, tc, [s.tolist() for s in seqs], never_mask_ids=range(5))
    draw, step, acc, t = tr._draw, tr._train_step, [0, 0.0, 0.0], {}
    def timed_draw():
        t['start'] = _clock(); return draw()
    def timed_step(bs, m, n):
        r = step(bs, m, n); w, c = _clock()
        if tr.step >= warmup: acc[0] += n; acc[1] += w - t['start'][0]; acc[2] += c - t['start'][1]
        return r
    tr._draw, tr._train_step = timed_draw, timed_step
    import contextlib, io
    with contextlib.redirect_stdout(io.StringIO()): tr.fit()
    return tuple(acc)

def run_hf(cfg, tok, seqs, batch, n_steps, warmup, sparse, seed=0):
    "(real tokens, wall s, CPU s) of transformers' MLM + DataCollatorForLanguageModeling + AdamW over the timed steps."
    torch.manual_seed(seed)
    hf_config = transformers.ModernBertConfig(**{**config_to_hf_dict(cfg), 'sparse_prediction': sparse},
                                              attn_implementation='sdpa')
    hf = transformers.ModernBertForMaskedLM(hf_config)
    hf.train()
    opt = torch.optim.AdamW(hf.parameters(), lr=8e-4, betas=(0.9, 0.98), eps=1e-6, weight_decay=1e-5)
    coll = DataCollatorForLanguageModeling(tok, mlm=True, mlm_probability=0.3)
    acc = [0, 0.0, 0.0]
    for step in range(warmup + n_steps):
        chunk = seqs[step * batch:(step + 1) * batch]
        w0, c0 = _clock()
        b = coll([{'input_ids': [tok.cls_token_id, *s.tolist(), tok.sep_token_id]} for s in chunk])
        loss = hf(**b).loss
        loss.backward(); opt.step(); opt.zero_grad(set_to_none=True)
        w1, c1 = _clock()
        if step >= warmup: acc[0] += int(b['attention_mask'].sum()); acc[1] += w1 - w0; acc[2] += c1 - c0
    return tuple(acc)

def main(reps=3, steps=8, warmup=2, batch=16, threads=1, seq_len=512, shape='small', results=None):
    torch.set_num_threads(threads)
    texts = stdlib_texts()
    tok = bpe(texts[:400])
    cfg = model_config(tok, seq_len, shape)
    seqs = [c for t in texts for c in doc_chunks(tok(t, add_special_tokens=False)['input_ids'], seq_len)]
    random.Random(0).shuffle(seqs)
    mean_len = sum(len(s) + 2 for s in seqs) / len(seqs)
    rows = max(1, batch // 4)                                      # the same real tokens per step as `batch` sequences
    row_len = max(seq_len, round(batch * mean_len / rows))
    need = (warmup + steps) * batch
    assert len(seqs) >= need, (len(seqs), need)
    runs = {'ours': [], 'transformers': [], 'transformers sparse': []}
    tmp = Path(tempfile.mkdtemp())
    for r in range(reps):
        runs['ours'].append(run_ours(cfg, seqs, rows, row_len, seq_len, steps, warmup, tmp/f'ours{r}'))
        runs['transformers'].append(run_hf(cfg, tok, seqs, batch, steps, warmup, sparse=False))
        runs['transformers sparse'].append(run_hf(cfg, tok, seqs, batch, steps, warmup, sparse=True))
        last = {k: v[-1] for k, v in runs.items()}
        speeds = (f"{k} {n / w:,.0f} tok/s ({n / c:,.0f} per CPU-s)" for k, (n, w, c) in last.items())
        print(f"rep {r}: " + ', '.join(speeds), f"(load {os.getloadavg()[0]:.1f})", flush=True)
    wall = {k: statistics.median(n / w for n, w, c in v) for k, v in runs.items()}
    cpu = {k: statistics.median(n / c for n, w, c in v) for k, v in runs.items()}
    def pair(k):   # the wall-clock ratio within each rep, median over reps
        return statistics.median((a[0] / a[1]) / (b[0] / b[1]) for a, b in zip(runs['ours'], runs[k]))
    rows_out = [dict(loop=k, tok_per_s=wall[k], tok_per_cpu_s=cpu[k],
                     runs_tok_per_s=[round(n / w) for n, w, c in runs[k]],
                     runs_tok_per_cpu_s=[round(n / c) for n, w, c in runs[k]],
                     ours_over_this_wall=wall['ours'] / wall[k], ours_over_this_cpu=cpu['ours'] / cpu[k],
                     ours_over_this_paired=pair(k)) for k in runs]
    cmd = (f'python bench/train_vs_transformers.py --reps {reps} --steps {steps} --warmup {warmup} --threads {threads} '
           f'--seq-len {seq_len} --batch {batch}' + (f' --shape {shape}' if shape != 'small' else ''))
    meta = dict(run_info(cmd), shape=shape, hidden=cfg.hidden_size, layers=cfg.num_hidden_layers, reps=reps,
                steps=steps, warmup=warmup, seq_len=seq_len, hf_batch=batch, docs=len(texts),
                sequences=len(seqs), ours_rows=rows, ours_row_len=row_len, mean_seq_len=round(mean_len, 1),
                vocab=cfg.vocab_size)
    heads = {'loop': 'loop', 'tok_per_s': 'real tokens/s (median)',
             'tok_per_cpu_s': 'real tokens per CPU-second (median)',
             'ours_over_this_wall': 'ours / this (wall)', 'ours_over_this_cpu': 'ours / this (CPU)',
             'ours_over_this_paired': 'ours / this (median of run pairs)'}
    fmt = {'tok_per_s': '{:,.0f}', 'tok_per_cpu_s': '{:,.0f}', float: '{:.2f}x'}
    print('\n' + md_table(rows_out, heads, fmt))
    print(json.dumps(meta))
    if results: print(f"wrote {write_json(results, dict(info=meta, rows=rows_out))}")
    return meta, rows_out

if __name__ == '__main__':
    ap = argparse.ArgumentParser()
    ap.add_argument('--reps', type=int, default=3); ap.add_argument('--steps', type=int, default=8)
    ap.add_argument('--warmup', type=int, default=2); ap.add_argument('--batch', type=int, default=16)
    ap.add_argument('--results', '--json', dest='results', default=None,
                    help='also store the run as this json, e.g. results/train_vs_transformers.json')
    ap.add_argument('--threads', type=int, default=1,
                    help='torch threads; 1 on a shared machine, where a second thread mostly waits')
    ap.add_argument('--seq-len', type=int, default=512,
                    help='context length (512; ModernBERT pretrains at 1024, then 8192)')
    ap.add_argument('--shape', choices=['small', 'base'], default='small',
                    help="the model: a small one (256 wide, 6 layers) or ModernBERT-base's shape and vocabulary size")
    a = ap.parse_args()
    main(a.reps, a.steps, a.warmup, a.batch, a.threads, a.seq_len, a.shape, a.results)
