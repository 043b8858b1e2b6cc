"""Before any fine-tuning: mean-pooled retrieval of a pretrained export against the same network at random init.

Does masked-language pretraining keep the lexical identity that a random embedding table gives for free? Scores the
suite's retrieval tasks (held-out modules) zero-shot for the pretrained weights and for three random initializations;
then, to find where the identity is lost, the same score from the mean of each layer's output (the embedding table
alone is layer 0), the mean pools standardized per dimension (a few outlier dimensions can dominate a cosine: Timkey
and van Schijndel 2021), and how alike the token embeddings are (mean cosine between two different tokens).
Run: python bench/zero_shot_payoff.py runs/small/hf --corpus runs/small/corpus --out results/zero_shot_small.json
"""
import argparse, copy, sys, time
import torch, torch.nn.functional as F
from modernbert.core import run_info, write_json, config_from_hf
from modernbert.heads import ModernBertEmbedder
from modernbert.evaluate import get_tasks, DenseRetriever, evaluate_retrieval, load_model_folder, ir_metrics

def embedder(folder, seed):
    "The pretrained embedder (seed None) or the same network at random init drawn from `seed`."
    if seed is None: return ModernBertEmbedder.from_hf(folder).eval()
    torch.manual_seed(seed); return ModernBertEmbedder(config_from_hf(folder)).eval()

def embedding_cosine(m)->float:
    "Mean cosine similarity between the (normalized) embeddings of two different tokens."
    e = F.normalize(m.model.embeddings.tok_embeddings.weight.detach(), dim=-1)
    n = len(e)
    return ((e.sum(0).square().sum() - n) / (n * n - n)).item()       # (sum of all pairs - diagonal) / pairs

def standardized(r, t)->float:
    "nDCG@10 with each dimension of the mean pools z-scored over the task's queries and documents."
    norm, r.model.normalize = r.model.normalize, False
    q, d = r.encode(t.queries, r.query_length), r.encode(t.corpus, r.max_length)
    r.model.normalize = norm
    both = torch.cat([q, d]); mu, sd = both.mean(0), both.std(0) + 1e-6
    z = lambda x: F.normalize((x - mu) / sd, dim=-1)
    return ir_metrics(z(q) @ z(d).T, t.qrels)['ndcg@10']

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('model'); ap.add_argument('--corpus', default=None)
    ap.add_argument('--tasks', default='code-search,long-context'); ap.add_argument('--seeds', default='0,1,2')
    ap.add_argument('--out', required=True)
    a = ap.parse_args()
    t0 = time.time()
    folder, tok = load_model_folder(a.model)
    tasks = get_tasks(a.tasks, a.corpus)
    rows, layers, other = [], [], []
    seeds = [int(s) for s in a.seeds.split(',')]
    for name, seed in [('pretrained', None)] + [('random init', s) for s in seeds]:
        m = embedder(folder, seed)
        r = DenseRetriever(m, tok, 8192, name=name, show_progress=False)
        r.protocol = 'zero-shot, mean-pooled'
        with torch.no_grad():
            for t in tasks:
                res = evaluate_retrieval(t, r)
                rows.append({**res, 'seed': seed})
                print(f"{name:12s} seed {seed}: {t.name} nDCG@10 {res['ndcg@10']:.3f}", flush=True)
            if seed not in (None, seeds[0]): continue               # the diagnostics: pretrained and the first seed
            other.append({'model': name, 'token embedding mean cosine': embedding_cosine(m),
                          **{f'{t.name} standardized': standardized(r, t) for t in tasks}})
            for k in range(len(m.model.layers) + 1):                 # the mean of layer k's output (0: embeddings)
                mk = copy.deepcopy(m); mk.model.layers = mk.model.layers[:k]
                rk = DenseRetriever(mk, tok, 8192, name=name, show_progress=False)
                layers.append({'model': name, 'layer': k,
                               **{t.name: evaluate_retrieval(t, rk)['ndcg@10'] for t in tasks}})
                print(f"{name:12s} layer {k}: " + ', '.join(f"{t.name} {layers[-1][t.name]:.3f}" for t in tasks),
                      flush=True)
    write_json(a.out, {'what': 'zero-shot mean-pooled retrieval, pretrained vs random init', 'model': str(a.model),
                       'rows': rows, 'layers': layers, 'diagnostics': other,
                       'info': {**run_info('python bench/zero_shot_payoff.py ' + ' '.join(sys.argv[1:])),
                                'seconds': round(time.time() - t0)}})

if __name__ == '__main__': main()
