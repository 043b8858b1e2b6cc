"""Does pretraining help the encoder's features? A linear probe on frozen features, layer by layer.

For an exported model and the same network at random initialization (same config, same seed), embed the BBC topic
task's texts, pool every layer's output per document (mean and [CLS]; the last layer before and after the final norm),
and fit a logistic-regression probe on each (L2 strength chosen on a validation split of the training texts).
Writes results/finetune_probe.json (accuracies, machine, date, command, commit).
Run: python bench/finetune_probe.py runs/demo/hf [--max-length 256] [--threads 2]
"""
import argparse, json, sys, time
from pathlib import Path
import torch, torch.nn.functional as F

ROOT = Path(__file__).resolve().parent.parent

@torch.no_grad()
def layer_features(model, tok, texts, max_length=256, batch_tokens=8192)->dict:
    "{(layer, pooling): (n, d) features}: the embedding output (layer 0), every layer, and the final norm."
    from modernbert.finetune import encode_texts, pack, pool, length_batches
    from modernbert.attention import AttnBatch
    seqs = encode_texts(tok, texts, max_length)
    enc = model.model if hasattr(model, 'model') else model
    outs = []
    hooks = [enc.embeddings.register_forward_hook(lambda m, i, o: outs.append(o))]
    hooks += [l.register_forward_hook(lambda m, i, o: outs.append(o)) for l in enc.layers]
    hooks += [enc.final_norm.register_forward_hook(lambda m, i, o: outs.append(o))]
    feats, order = {}, []
    model.eval()
    for idx in length_batches([len(s) for s in seqs], batch_tokens):
        b = pack([seqs[i] for i in idx]); outs.clear()
        enc.forward_packed(b.input_ids, AttnBatch.from_cu_seqlens(b.cu_seqlens, b.max_seqlen))
        for li, h in enumerate(outs):
            name = 'final_norm' if li == len(outs) - 1 else f'layer {li}'
            for how in ('mean', 'cls'): feats.setdefault((name, how), []).append(pool(h, b.cu_seqlens, how))
        order += idx
    inv = torch.empty(len(order), dtype=torch.long); inv[torch.tensor(order)] = torch.arange(len(order))
    return {k: torch.cat(v)[inv] for k, v in feats.items()}

def probe(xtr, ytr, xte, yte, n_classes, seed=0)->dict:
    "Logistic regression (LBFGS), features standardized; L2 from a grid on a 15% validation split."
    mu, sd = xtr.mean(0), xtr.std(0) + 1e-6
    xtr, xte = (xtr - mu) / sd, (xte - mu) / sd
    g = torch.Generator().manual_seed(seed); perm = torch.randperm(len(xtr), generator=g)
    nv = len(xtr) * 15 // 100; va, tr = perm[:nv], perm[nv:]
    def fit(x, y, l2):
        W = torch.zeros(x.shape[1], n_classes, requires_grad=True); b = torch.zeros(n_classes, requires_grad=True)
        opt = torch.optim.LBFGS([W, b], max_iter=200, line_search_fn='strong_wolfe')
        def closure():
            opt.zero_grad(); loss = F.cross_entropy(x @ W + b, y) + l2 * (W ** 2).sum(); loss.backward(); return loss
        opt.step(closure); return W.detach(), b.detach()
    acc = lambda W, b, x, y: ((x @ W + b).argmax(1) == y).float().mean().item()
    best = max((acc(*fit(xtr[tr], ytr[tr], l2), xtr[va], ytr[va]), l2) for l2 in (1e-4, 1e-3, 1e-2, 1e-1))
    W, b = fit(xtr, ytr, best[1])
    return {'test_accuracy': acc(W, b, xte, yte), 'val_accuracy': best[0], 'l2': best[1]}

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('model'); ap.add_argument('--max-length', type=int, default=256); ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--out', default=str(ROOT/'results'/'finetune_probe.json'))
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    from modernbert.model import ModernBertForMaskedLM
    from modernbert.core import set_seed
    from modernbert.tokenizer import load_tokenizer
    from modernbert.evaluate import bbc_topic_task
    from modernbert.core import run_info
    t0 = time.time()
    task = bbc_topic_task()
    pre = ModernBertForMaskedLM.from_hf(a.model); tok = load_tokenizer(a.model)
    set_seed(0); rnd = ModernBertForMaskedLM(pre.config)
    ytr, yte = torch.tensor(task.train.labels), torch.tensor(task.test.labels)
    rows = []
    for name, m in (('pretrained', pre), ('random init', rnd)):
        ftr, fte = layer_features(m, tok, task.train.texts, a.max_length), layer_features(m, tok, task.test.texts, a.max_length)
        for key in ftr:
            r = probe(ftr[key], ytr, fte[key], yte, len(task.train.names))
            rows.append({'model': name, 'layer': key[0], 'pooling': key[1], **r}); print(rows[-1], flush=True)
    res = {'task': task.name, 'train': len(ytr), 'test': len(yte), 'max_length': a.max_length, 'model': a.model, 'rows': rows,
           'info': {**run_info('python bench/finetune_probe.py ' + ' '.join(sys.argv[1:])), 'seconds': round(time.time() - t0)}}
    Path(a.out).parent.mkdir(parents=True, exist_ok=True); Path(a.out).write_text(json.dumps(res, indent=1))

if __name__ == '__main__': main()
