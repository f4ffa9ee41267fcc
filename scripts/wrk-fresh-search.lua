-- wrk script for fresh searches: every request asks a new random query of two to five words
-- (from the words of `paperboy bench search`, so they match the synthetic corpus too), so no
-- cache keyed by the query (page cache, query vectors) can answer it twice in a run.
-- Usage: wrk ... -s scripts/wrk-fresh-search.lua URL -- PREFIX
--   PREFIX is the path up to the query text, e.g. "/search?mode=keyword&q=" or "/?q=".
local words = {"sparse", "attention", "diffusion", "retrieval", "graph", "robust", "pruning", "reinforcement",
               "policy", "quantization", "federated", "privacy", "contrastive", "latent", "transformer",
               "convergence", "calibration", "distillation", "multimodal", "speech", "reasoning", "lottery",
               "language", "model", "learning", "neural", "training", "image", "generation", "efficient",
               "adversarial", "benchmark", "scaling", "vision", "networks", "optimization", "inference",
               "representation", "data", "tokens", "agents", "memory", "sampling", "alignment", "loss"}
local prefix = "/search?q="
local thread_counter = 0

function setup(thread)
    thread_counter = thread_counter + 1
    thread:set("seed", thread_counter * 7919)
end

function init(args)
    if args[1] then prefix = args[1] end
    math.randomseed(seed or 1)
end

function request()
    local parts = {}
    for j = 1, 2 + math.random(0, 3) do parts[j] = words[math.random(1, #words)] end
    return wrk.format("GET", prefix .. table.concat(parts, "+"))
end
