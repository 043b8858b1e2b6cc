"""Before any fine-tuning: mean-pooled retrieval of a pretrained export against the same network at random init.

Does masked-language pretraining keep the lexical identity that a random embedding table gives for free? Scores the
suite's retrieval tasks (held-out modules) zero-shot for the pretrained weights and for three random initializations.
Run: python bench/zero_shot_payoff.py runs/small/hf --corpus runs/small/corpus --out results/zero_shot_small.json
"""
import argparse, sys, time
import torch
from modernbert.core import run_info, write_json, config_from_hf
from modernbert.heads import ModernBertEmbedder
from modernbert.evaluate import get_tasks, DenseRetriever, evaluate_retrieval, load_model_folder

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('model'); ap.add_argument('--corpus', default=None)
    ap.add_argument('--tasks', default='code-search,long-context'); ap.add_argument('--seeds', default='0,1,2')
    ap.add_argument('--out', required=True)
    a = ap.parse_args()
    t0 = time.time()
    folder, tok = load_model_folder(a.model)
    tasks = get_tasks(a.tasks, a.corpus)
    rows = []
    variants = [('pretrained', None)] + [('random init', int(s)) for s in a.seeds.split(',')]
    for name, seed in variants:
        if seed is None: m = ModernBertEmbedder.from_hf(folder)
        else: torch.manual_seed(seed); m = ModernBertEmbedder(config_from_hf(folder))
        r = DenseRetriever(m.eval(), tok, 8192, name=name, show_progress=False)
        r.protocol = 'zero-shot, mean-pooled'
        for t in tasks:
            with torch.no_grad(): res = evaluate_retrieval(t, r)
            rows.append({**res, 'seed': seed})
            print(f"{name:12s} seed {seed}: {t.name} nDCG@10 {res['ndcg@10']:.3f}", flush=True)
    write_json(a.out, {'what': 'zero-shot mean-pooled retrieval, pretrained vs random init', 'model': str(a.model),
                       'rows': rows, 'info': {**run_info('python bench/zero_shot_payoff.py ' + ' '.join(sys.argv[1:])),
                                               'seconds': round(time.time() - t0)}})

if __name__ == '__main__': main()
