// Logits dumper for scripts/check-powerinfer.sh, linked against a PowerInfer (llama.cpp fork) build's libllama.
// Feeds tokens one at a time (the batch-1 decode path, where PowerInfer's sparse FFN runs) on 1 thread.
//   logits_dump logits   MODEL IDS_FILE OUT.f32   -> float32 [n_tokens, n_vocab], logits after each token
//   logits_dump greedy   MODEL N ID...            -> prints the N greedily generated ids after the prompt ids
//   logits_dump tokenize MODEL TEXT               -> prints the ids of TEXT (with BOS)
#include "llama.h"
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

static llama_context * open_ctx(const char * path, llama_model ** model_out) {
    llama_backend_init(false);
    llama_model_params mp = llama_model_default_params();
    mp.n_gpu_layers = 0;
    llama_model * model = llama_load_model_from_file(path, mp);
    if (!model) { fprintf(stderr, "cannot load %s\n", path); exit(3); }
    llama_context_params cp = llama_context_default_params();
    cp.n_ctx = 1024;
    cp.n_batch = 1;
    cp.n_threads = 1;
    cp.n_threads_batch = 1;
    cp.seed = 1;
    llama_context * ctx = llama_new_context_with_model(model, cp);
    if (!ctx) { fprintf(stderr, "cannot create a context\n"); exit(3); }
    *model_out = model;
    return ctx;
}

static const float * step(llama_context * ctx, llama_token tok, int pos) {
    if (llama_decode(ctx, llama_batch_get_one(&tok, 1, pos, 0)) != 0) { fprintf(stderr, "decode failed at %d\n", pos); exit(4); }
    return llama_get_logits(ctx);
}

int main(int argc, char ** argv) {
    if (argc < 4) { fprintf(stderr, "usage: logits_dump logits|greedy|tokenize MODEL ...\n"); return 2; }
    std::string mode = argv[1];
    llama_model * model = nullptr;
    llama_context * ctx = open_ctx(argv[2], &model);
    int n_vocab = llama_n_vocab(model);
    if (mode == "logits" && argc == 5) {
        std::vector<llama_token> ids;
        std::ifstream in(argv[3]);
        int id;
        while (in >> id) ids.push_back(id);
        FILE * out = fopen(argv[4], "wb");
        for (size_t i = 0; i < ids.size(); i++) {
            const float * l = step(ctx, ids[i], (int) i);
            fwrite(l, sizeof(float), n_vocab, out);
        }
        fclose(out);
        fprintf(stderr, "wrote %zu x %d logits\n", ids.size(), n_vocab);
    } else if (mode == "greedy" && argc >= 5) {
        int n = atoi(argv[3]);
        std::vector<llama_token> ids;
        for (int i = 4; i < argc; i++) ids.push_back(atoi(argv[i]));
        const float * l = nullptr;
        int pos = 0;
        for (llama_token t : ids) l = step(ctx, t, pos++);
        for (int k = 0; k < n; k++) {
            int best = 0;
            for (int v = 1; v < n_vocab; v++) if (l[v] > l[best]) best = v;
            printf(k ? " %d" : "%d", best);
            l = step(ctx, best, pos++);
        }
        printf("\n");
    } else if (mode == "tokenize" && argc == 4) {
        std::vector<llama_token> toks(4096);
        int n = llama_tokenize(model, argv[3], (int) strlen(argv[3]), toks.data(), (int) toks.size(), true, false);
        for (int i = 0; i < n; i++) printf(i ? " %d" : "%d", toks[i]);
        printf("\n");
    } else {
        fprintf(stderr, "bad arguments\n");
        return 2;
    }
    llama_free(ctx);
    llama_free_model(model);
    llama_backend_free();
    return 0;
}
