"""Checkers for the coding exercises: run a student's function, compare, explain the first bug.

Each checker calls the student's function on a few fixed inputs, including edge cases (a batch
of 1, latent_dim 1, z_log_var of +-20, logits of +-50), compares the answers with the
library's reference (relative tolerance 1e-4, absolute 1e-3 for float32), and stops at the
first problem it finds, described in plain words. It prints "PASS: ..." or "FAIL: ..." and
returns a :class:`CheckResult` that a grader can read::

    result = checks.kl_divergence(my_kl)      # prints PASS or FAIL
    result.passed, result.message

Inputs are NumPy float32 arrays; the student's function may return NumPy arrays or tensors.

The checkers live in one module per topic (``densities`` for chapters 4-6, and one module per
later topic); this package re-exports all of them, so ``checks.elbo`` works whatever the module.

Introduced in chapters 4 (log-densities, KL, ELBO) and 5 (reparameterization).
"""

from vae_lib.checks._core import ATOL, RTOL, CheckResult  # noqa: F401
from vae_lib.checks.densities import (  # noqa: F401
                                      elbo,
                                      kl_divergence,
                                      log_bernoulli,
                                      log_normal,
                                      reparameterize,
)
from vae_lib.checks.evaluation import *  # noqa: E402,F401,F403  (chapter 7)
from vae_lib.checks.latent_space import *  # noqa: E402,F401,F403  (chapter 8)
from vae_lib.checks.vae import *  # noqa: E402,F401,F403  (chapters 5 and 6)
from vae_lib.checks.pca import *  # noqa: E402,F401,F403  (chapter 1)
from vae_lib.checks.autoencoders import *  # noqa: E402,F401,F403  (chapter 2)
from vae_lib.checks.analysis import *  # noqa: E402,F401,F403  (chapter 9)
from vae_lib.checks.compression import *  # noqa: E402,F401,F403  (chapter 10)
from vae_lib.checks.latent_models import *  # noqa: E402,F401,F403  (chapter 3)
from vae_lib.checks.extensions import *  # noqa: E402,F401,F403  (chapter 11)
