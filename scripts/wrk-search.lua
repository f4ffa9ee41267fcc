-- wrk script for scripts/bench: cycles through 200 two-to-five-word queries built from the
-- same words as `paperboy bench search`. Usage: wrk ... -s scripts/wrk-search.lua URL -- MODE
local words = {"sparse", "attention", "diffusion", "retrieval", "graph", "robust", "pruning", "reinforcement",
               "policy", "quantization", "federated", "privacy", "contrastive", "latent", "transformer",
               "convergence", "calibration", "distillation", "multimodal", "speech", "reasoning", "lottery"}
local queries = {}
local mode = "hybrid"
local counter = 0

function init(args)
    if args[1] then mode = args[1] end
    -- A fixed seed, so every run and every thread asks the same questions.
    math.randomseed(3)
    for i = 1, 200 do
        local parts = {}
        for j = 1, 2 + math.random(0, 3) do parts[j] = words[math.random(1, #words)] end
        queries[i] = table.concat(parts, "+")
    end
end

function request()
    counter = counter + 1
    return wrk.format("GET", "/api/papers/search?limit=10&mode=" .. mode .. "&q=" .. queries[(counter % #queries) + 1])
end
