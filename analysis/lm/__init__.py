"""Look inside the language-model agents: activations of real episodes, probes, steering.

=====================  ======================================================================
module                 job
=====================  ======================================================================
``hooks``              named hook points (``model.layers.{i}.resid_post``...): temporary
                       capture and activation addition on any transformers decoder
``replay``             an ``episodes.jsonl`` record as one token sequence + positions
``activations``        batched, cached, resumable capture over many episodes
``probes``             logistic / mean-difference / fixed-direction probes; AUROC, recall at
                       1% FPR with bootstrap intervals
``defection``          the label-free contrast-pair direction ("are you doing something
                       wrong? yes - no")
``probe_report``       the held-out-environment probe experiment, table and layer plot
``steering``           CAA vectors, `steer` (transformers hook or llama.cpp control vector),
                       dose-response against a random equal-norm vector
``controlvector``      export / apply the vector as a llama.cpp control vector
=====================  ======================================================================

Nothing here is imported by ``specgym`` itself; torch and scikit-learn load on use.
"""
