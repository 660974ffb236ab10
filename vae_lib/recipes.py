"""The book's trained models as named recipes: what each model is, what it learns from, for how
long, and why.

A :class:`Recipe` is a frozen description of one trained model: its networks and their sizes,
the likelihood, beta, which images it trains on (with separate quick-mode and full-mode sizes),
its training budget in **images seen** (not epochs, so the 4,000-digit offline MNIST subset and
the 60,000 digits of full MNIST cost about the same time), the learning rate, and the seeds of the
initial weights and of the shuffling. Each recipe carries a reason for every choice that is not
the default (``why``), and :meth:`Recipe.table` shows it as a table, field by field.

Chapters train with ``training.train_or_load(recipes.get("ch07_conv_vae_mnist_d16"))``. A later
chapter reuses an earlier chapter's model by its name, so both chapters get the very same
weights (from the cache when the earlier chapter has run).

Introduced in chapter 2; the recipe of each model is shown in the chapter that trains it first.
"""

import dataclasses
import math
import typing

from vae_lib import data, likelihoods, models, networks, settings

KINDS = ("vae", "autoencoder")
NETWORKS = ("dense", "conv")
DECODERS = ("mirror", "pixelcnn")
DATASETS = ("mnist", "fashion_mnist")
BINARIZATIONS = ("dynamic", "static", None)


@dataclasses.dataclass(frozen=True)
class ByMode:
    """A value with one setting for quick mode (tests, CI) and one for full mode (the book).

    ``ByMode(quick=2_000, full=150_000).value()`` is the value for the current
    ``VAE_BOOK_MODE``. ``None`` as a size means "all of them".
    """

    quick: typing.Any
    full: typing.Any

    def value(self):
        """The setting for the current mode."""
        return settings.pick(quick=self.quick, full=self.full)

    def __str__(self):
        return f"{_show(self.quick)} (quick) / {_show(self.full)} (full)"


def _show(value):
    if value is None:
        return "all"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


# Reasons shown for fields a recipe does not explain itself.
DEFAULT_WHY = {
    "name": "how chapters refer to this model (and the start of its cache file's name)",
    "kind": "a VAE: encoder -> (z_mean, z_log_var) -> sample -> decoder, trained on the ELBO",
    "network": "multilayer perceptrons (chapter 6)",
    "latent_dim": "16 numbers per image are enough for digits (chapter 7 measures 2, 16, 32)",
    "hidden_units": "two ReLU layers, 784 -> 512 -> 256 (the decoder mirrors them)",
    "filters": "stride-2 convolutions: 28x28 -> 14x14x32 -> 7x7x64 (chapter 7)",
    "dense_units": "one dense layer between the feature map and the latent heads",
    "decoder": "the mirror image of the encoder",
    "decoder_filters": "channels of the autoregressive decoder's masked convolutions",
    "decoder_layers": "masked convolutions of the autoregressive decoder",
    "conditional": "unconditional: the networks do not see the label",
    "free_bits": "no free bits: every nat of KL costs",
    "kl_warmup": "no KL annealing: the KL weight is beta from the first step",
    "likelihood": "Bernoulli pixels from logits: a real probability of binary images",
    "beta": "beta = 1: the loss is exactly the negative ELBO",
    "data": "MNIST digits, the seed article's data",
    "classes": "all ten classes",
    "train_images": "all training images in full mode; a few hundred in quick mode (tests)",
    "validation_fraction": "the last 10% of the training images are held out for the curves; "
                           "the test split is kept for the final numbers",
    "max_validation": "at most this many validation images, so evaluating the curves costs "
                      "the same on the 4,000-digit subset and on 60,000 digits",
    "binarize": "dynamic binarization: a fresh black-and-white draw of every image each time "
                "it is used (chapter 1), the usual protocol for Bernoulli likelihoods",
    "input_noise": "no corruption of the inputs",
    "noise_kind": "Gaussian noise when input_noise is set",
    "budget": "images seen in training (steps x batch size), the same whatever the data size",
    "batch_size": "128 images per step: fast on 2 CPU cores, small enough to generalize",
    "learning_rate": "Adam's default 1e-3 works for every model here",
    "num_logs": "how many times the curves are measured during training",
    "init_seed": "seed of the initial weights and of the sampling noise",
    "shuffle_seed": "seed of the order of the images and of the binarization draws",
}


@dataclasses.dataclass(frozen=True)
class Recipe:
    """One trained model of the book, with everything that decides its weights.

    Attributes:
        name: unique name; the cache file starts with it and chapters look models up by it.
        chapter: the chapter that trains this model first (and shows the recipe).
        summary: one line saying what the model is.
        kind: ``"vae"`` or ``"autoencoder"``.
        network: ``"dense"`` (``networks.dense_*``) or ``"conv"`` (``networks.conv_*``).
        latent_dim: size of z.
        hidden_units: dense networks: encoder hidden layers (the decoder uses them reversed);
            ``()`` gives a linear autoencoder.
        filters: conv networks: channels of the encoder's stride-2 convolutions (reversed in
            the decoder).
        dense_units: conv networks: the dense layer next to the feature map (0 for none).
        decoder: ``"mirror"`` (the encoder's mirror image) or ``"pixelcnn"``
            (``networks.pixelcnn_decoder``: autoregressive, chapter 11).
        decoder_filters, decoder_layers: the PixelCNN decoder's channels and masked
            convolutions.
        conditional: the encoder and decoder also read the one-hot class label (a
            conditional VAE, chapter 11).
        free_bits: nats of KL per latent dimension that cost nothing (``models.VAE``).
        kl_warmup: the share of the training steps over which the KL weight rises from 0
            to beta (KL annealing; 0 for none).
        likelihood: ``"bernoulli"`` or a ``likelihoods.Gaussian``.
        beta: weight of the KL term (VAEs only).
        data: ``"mnist"`` or ``"fashion_mnist"``.
        classes: labels kept for training (None for all), e.g. to hold classes out (chapter 9).
        train_images: how many training images to use, from the start of the training split
            (None for all), by mode.
        validation_fraction: the share of those images held out at the end for validation.
        max_validation: at most this many of them are validation images, by mode.
        binarize: ``"dynamic"``, ``"static"`` or None (grey targets).
        input_noise: corruption of the inputs, with the clean images as targets (a denoising
            autoencoder, chapter 2): the standard deviation of Gaussian noise (clipped to
            [0, 1]), or for ``noise_kind="flip"`` the probability of flipping a pixel.
        noise_kind: ``"gaussian"`` or ``"flip"`` (see ``data.add_noise``).
        budget: images seen in training, by mode; the number of steps is
            ``ceil(budget / batch_size)``, rounded up to a multiple of ``num_logs``.
        batch_size: images per gradient step.
        learning_rate: Adam's step size.
        num_logs: how many times during training the losses are logged and the validation
            images evaluated, by mode.
        init_seed: seed of the initial weights and of the VAE's sampling noise.
        shuffle_seed: seed of the order of the training images and of the binarization.
        why: reasons for the choices, field name -> sentence (shown by :meth:`table`; not
            part of the cache key).
    """

    name: str
    chapter: int
    summary: str
    kind: str = "vae"
    network: str = "dense"
    latent_dim: int = 16
    hidden_units: tuple = (512, 256)
    filters: tuple = (32, 64)
    dense_units: int = 256
    decoder: str = "mirror"
    decoder_filters: int = 32
    decoder_layers: int = 3
    conditional: bool = False
    likelihood: typing.Any = "bernoulli"
    beta: float = 1.0
    free_bits: float = 0.0
    kl_warmup: float = 0.0
    data: str = "mnist"
    classes: typing.Optional[tuple] = None
    train_images: ByMode = ByMode(quick=1_000, full=None)
    validation_fraction: float = 0.1
    max_validation: ByMode = ByMode(quick=200, full=2_000)
    binarize: typing.Optional[str] = "dynamic"
    input_noise: float = 0.0
    noise_kind: str = "gaussian"
    budget: ByMode = ByMode(quick=2_048, full=153_600)
    batch_size: int = 128
    learning_rate: float = 1e-3
    num_logs: ByMode = ByMode(quick=2, full=20)
    init_seed: int = 0
    shuffle_seed: int = 0
    why: typing.Mapping = dataclasses.field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self):
        _check_recipe(self)

    # --- what the current mode means ---------------------------------------------------------

    @property
    def steps(self):
        """Optimizer steps in the current mode: ceil(budget / batch_size), rounded up to a
        multiple of ``num_logs`` so that every logging interval has the same length."""
        logs = self.num_logs.value()
        return logs * math.ceil(math.ceil(self.budget.value() / self.batch_size) / logs)

    @property
    def images_seen(self):
        """Images seen in training in the current mode (steps x batch size)."""
        return self.steps * self.batch_size

    def key_fields(self):
        """Every field that decides the weights, as JSON-ready values (``why`` excluded)."""
        fields = {}
        for field in dataclasses.fields(self):
            if field.name == "why":
                continue
            value = getattr(self, field.name)
            if isinstance(value, ByMode):
                value = {"quick": value.quick, "full": value.full}
            elif field.name == "likelihood":
                value = _likelihood_config(value)
            elif isinstance(value, tuple):
                value = list(value)
            fields[field.name] = value
        return fields

    # --- building ---------------------------------------------------------------------------

    def build(self, strategy=None):
        """Build and compile the untrained model, with initial weights from ``init_seed``.

        Seeding the initial weights reseeds Python's, NumPy's and Keras's global generators
        with ``init_seed`` (as ``keras.utils.set_random_seed`` does).

        Args:
            strategy: an optional ``tf.distribute`` strategy; the model and its optimizer are
                created in its scope (chapter 11).

        Returns:
            ``models.VAE`` or ``models.Autoencoder``, compiled with Adam(learning_rate).
        """
        import contextlib

        import keras

        scope = strategy.scope() if strategy is not None else contextlib.nullcontext()
        with scope:
            keras.utils.set_random_seed(self.init_seed)
            variational = self.kind == "vae"
            encoder, decoder = self._networks(variational)
            if variational:
                warmup = int(round(self.kl_warmup * self.steps))
                model = models.VAE(encoder, decoder, beta=self.beta, likelihood=self.likelihood,
                                   seed=self.init_seed, free_bits=self.free_bits,
                                   kl_warmup_steps=warmup)
            else:
                model = models.Autoencoder(encoder, decoder, likelihood=self.likelihood)
            model.compile(optimizer=keras.optimizers.Adam(self.learning_rate))
        return model

    def _networks(self, variational):
        classes = 10 if self.conditional else None
        if self.network == "dense":
            encoder = networks.dense_encoder(self.latent_dim, hidden_units=self.hidden_units,
                                             variational=variational, num_classes=classes)
            decoder = networks.dense_decoder(self.latent_dim,
                                             hidden_units=tuple(reversed(self.hidden_units)),
                                             num_classes=classes)
        else:
            encoder = networks.conv_encoder(self.latent_dim, filters=self.filters,
                                            dense_units=self.dense_units,
                                            variational=variational, num_classes=classes)
            decoder = networks.conv_decoder(self.latent_dim,
                                            filters=tuple(reversed(self.filters)),
                                            dense_units=self.dense_units, num_classes=classes)
        if self.decoder == "pixelcnn":
            decoder = networks.pixelcnn_decoder(self.latent_dim, filters=self.decoder_filters,
                                                num_layers=self.decoder_layers,
                                                num_classes=classes)
        return encoder, decoder

    # --- showing ----------------------------------------------------------------------------

    def rows(self):
        """The recipe as rows ``(field, value, reason)``, in field order (``why`` last)."""
        rows = []
        for field in dataclasses.fields(self):
            if field.name in ("why", "summary", "chapter"):
                continue
            if self.network == "dense" and field.name in ("filters", "dense_units"):
                continue
            if self.network == "conv" and field.name == "hidden_units":
                continue
            if self.kind == "autoencoder" and field.name in ("beta", "free_bits", "kl_warmup"):
                continue
            if self.decoder != "pixelcnn" and field.name in ("decoder_filters",
                                                              "decoder_layers"):
                continue
            value = getattr(self, field.name)
            shown = str(value) if isinstance(value, ByMode) else _show(value)
            if field.name == "likelihood":
                shown = repr(likelihoods.get(value)) if not isinstance(value, str) else value
            if field.name == "budget":
                shown += f" images = {self.steps:,} steps of {self.batch_size} (this mode)"
            reason = self.why.get(field.name, DEFAULT_WHY.get(field.name, ""))
            rows.append((field.name, shown, reason))
        return rows

    def table(self):
        """The recipe as a pandas DataFrame (field, value, why) for a chapter to display."""
        import pandas

        frame = pandas.DataFrame(self.rows(), columns=["field", "value", "why"])
        return frame.set_index("field")

    def replace(self, **changes):
        """A copy with some fields changed (a new name is required, so caches stay apart)."""
        if "name" not in changes:
            raise ValueError(f"replace{tuple(changes)} on recipe {self.name!r}: give the changed "
                             "recipe a new name, e.g. replace(name='my_model', ...)")
        return dataclasses.replace(self, **changes)


def _check_recipe(recipe):
    """Raise a clear error for a field outside what :meth:`Recipe.build` understands."""
    def fail(field, expected):
        raise ValueError(f"recipe {recipe.name!r}: {field}={getattr(recipe, field)!r}; "
                         f"expected {expected}")

    if not isinstance(recipe.name, str) or not recipe.name.replace("_", "").isalnum():
        fail("name", "letters, digits and underscores")
    for field, allowed in (("kind", KINDS), ("network", NETWORKS), ("data", DATASETS),
                           ("binarize", BINARIZATIONS), ("decoder", DECODERS),
                           ("conditional", (False, True))):
        if getattr(recipe, field) not in allowed:
            fail(field, f"one of {allowed}")
    for field in ("latent_dim", "batch_size", "init_seed", "shuffle_seed", "dense_units",
                  "decoder_filters", "decoder_layers"):
        value = getattr(recipe, field)
        minimum = 0 if field in ("init_seed", "shuffle_seed", "dense_units") else 1
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            fail(field, f"an integer >= {minimum}")
    for field in ("train_images", "max_validation", "budget", "num_logs"):
        value = getattr(recipe, field)
        if not isinstance(value, ByMode):
            fail(field, "ByMode(quick=..., full=...)")
        for size in (value.quick, value.full):
            if size is None and field == "train_images":
                continue
            if isinstance(size, bool) or not isinstance(size, int) or size <= 0:
                fail(field, "positive integers for quick and full" +
                     (" (None for all)" if field == "train_images" else ""))
    if not 0 < recipe.validation_fraction < 1:
        fail("validation_fraction", "a number in (0, 1)")
    if not (isinstance(recipe.beta, (int, float)) and recipe.beta >= 0):
        fail("beta", "a number >= 0")
    if not (isinstance(recipe.free_bits, (int, float)) and recipe.free_bits >= 0):
        fail("free_bits", "a number of nats >= 0")
    if not (isinstance(recipe.kl_warmup, (int, float)) and 0 <= recipe.kl_warmup <= 1):
        fail("kl_warmup", "a share of the training steps in [0, 1]")
    if recipe.kind == "autoencoder" and (recipe.free_bits or recipe.kl_warmup):
        fail("free_bits" if recipe.free_bits else "kl_warmup", "0 for an autoencoder (no KL)")
    if recipe.noise_kind not in data.NOISE_KINDS:
        fail("noise_kind", f"one of {data.NOISE_KINDS}")
    if not (isinstance(recipe.input_noise, (int, float)) and recipe.input_noise >= 0
            and (recipe.noise_kind == "gaussian" or recipe.input_noise <= 1)):
        fail("input_noise", "a standard deviation >= 0 (or a flip probability in [0, 1])")
    if not (isinstance(recipe.learning_rate, float) and recipe.learning_rate > 0):
        fail("learning_rate", "a positive float")
    if recipe.classes is not None and (
            not isinstance(recipe.classes, tuple) or not recipe.classes
            or not all(isinstance(c, int) and 0 <= c <= 9 for c in recipe.classes)):
        fail("classes", "None or a non-empty tuple of labels 0-9")
    likelihoods.get(recipe.likelihood)  # raises for an unknown likelihood
    unknown = set(recipe.why) - {field.name for field in dataclasses.fields(Recipe)}
    if unknown:
        raise ValueError(f"recipe {recipe.name!r}: why names unknown fields {sorted(unknown)}")


def _likelihood_config(likelihood):
    """The likelihood's settings for the cache key (a fresh copy: some hold weights)."""
    return likelihoods.get(likelihood).get_config()


# --- data selection --------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class TrainingData:
    """The images a recipe trains on, in the current mode.

    Attributes:
        train: (N, 28, 28, 1) training images in [0, 1].
        validation: (M, 28, 28, 1) held-out training images (never the test split).
        train_labels, validation_labels: their labels.
        source: the loader's sentence naming where the data came from.
        description: one line for a notebook, e.g. "3,600 training and 400 validation images
            of MNIST (source ...)".
    """

    train: typing.Any
    validation: typing.Any
    train_labels: typing.Any
    validation_labels: typing.Any
    source: str
    description: str


def training_data(recipe, verbose=False):
    """Select a recipe's training and validation images (current mode).

    The first ``train_images`` images of the training split (after keeping only ``classes``)
    are used; the last ``validation_fraction`` of them, at most ``max_validation``, are held
    out for validation.

    Args:
        recipe: a :class:`Recipe`.
        verbose: let the loader print its source line.

    Returns:
        :class:`TrainingData`.
    """
    loader = data.load_mnist if recipe.data == "mnist" else data.load_fashion_mnist
    split = loader("train", verbose=verbose)
    images, labels = split.images, split.labels
    if recipe.classes is not None:
        keep = [int(label) in recipe.classes for label in labels]
        images, labels = images[keep], labels[keep]
    limit = recipe.train_images.value()
    if limit is not None:
        images, labels = images[:limit], labels[:limit]
    num_validation = min(int(round(recipe.validation_fraction * len(images))),
                         recipe.max_validation.value())
    if num_validation < 1 or num_validation >= len(images):
        raise ValueError(f"recipe {recipe.name!r} selects {len(images)} training images; too few "
                         "to hold out a validation set")
    cut = len(images) - num_validation
    name = "MNIST" if recipe.data == "mnist" else "Fashion-MNIST"
    kept = "" if recipe.classes is None else f" (classes {', '.join(map(str, recipe.classes))})"
    description = (f"{cut:,} training and {num_validation:,} validation images of "
                   f"{name}{kept}, from {split.source}")
    # Copies, not views: a view would keep the whole training split (188 MB of float32 for
    # 60,000 images) alive for as long as the selection lives, even when it holds 2,000 images.
    return TrainingData(images[:cut].copy(), images[cut:].copy(), labels[:cut].copy(),
                        labels[cut:].copy(), split.source, description)


# --- the book's recipes ----------------------------------------------------------------------

_REGISTRY = {}


def register(recipe):
    """Add a recipe to the book's registry (names must be unique); returns it."""
    if not isinstance(recipe, Recipe):
        raise TypeError(f"recipe is a {type(recipe).__name__}; expected a recipes.Recipe")
    if recipe.name in _REGISTRY and _REGISTRY[recipe.name] != recipe:
        raise ValueError(f"a different recipe is already registered as {recipe.name!r}")
    _REGISTRY[recipe.name] = recipe
    return recipe


def get(name):
    """The registered recipe called ``name``.

    Raises:
        ValueError: naming the known recipes, if there is none of that name.
    """
    if isinstance(name, Recipe):
        return name
    if name not in _REGISTRY:
        raise ValueError(f"no recipe named {name!r}; the book's recipes are: "
                         f"{', '.join(sorted(_REGISTRY))}")
    return _REGISTRY[name]


def names():
    """Names of all registered recipes, in the order they were registered."""
    return list(_REGISTRY)


# Budgets: dense models run at about 9,000 images/s on 2 CPU cores, convolutional ones at
# about 1,700-2,600 images/s (benchmarks/): 153,600 images (1,200 steps of 128) is about 17 s
# for a dense VAE and 60-90 s for a conv VAE, whether the data are the 3,600-digit offline
# subset (about 40 passes) or full MNIST (under 3 passes).
DENSE_BUDGET = ByMode(quick=2_048, full=153_600)
CONV_BUDGET = ByMode(quick=2_048, full=153_600)

_AE_WHY = {
    "kind": "a plain autoencoder: one code per image, no prior, no KL (chapter 2)",
    "likelihood": "Bernoulli pixels: the loss is the binary cross-entropy summed over pixels",
}

for _d in (2, 8, 32, 64):
    register(Recipe(
        name=f"ch02_dense_ae_d{_d}", chapter=2, kind="autoencoder", latent_dim=_d,
        summary=f"dense autoencoder with a {_d}-number code (the bottleneck sweep)",
        budget=DENSE_BUDGET,
        why={**_AE_WHY, "latent_dim": "the bottleneck sweep d = 2, 8, 32, 64 against PCA"}))

register(Recipe(
    name="ch02_linear_ae_k16", chapter=2, kind="autoencoder", latent_dim=16, hidden_units=(),
    summary="linear autoencoder (no hidden layers, no activations) trained on squared error",
    likelihood=likelihoods.Gaussian(variance=0.5, mean_activation=None), binarize=None,
    batch_size=64, budget=ByMode(quick=6_144, full=245_760),
    why={"kind": "an autoencoder whose encoder and decoder are single linear maps",
         "hidden_units": "none: z = W1 x + b1 and x_hat = W2 z + b2, as in Baldi and Hornik",
         "latent_dim": "k = 16, compared with the top 16 principal components",
         "likelihood": "Gaussian with variance 1/2 and no sigmoid: -log p is the squared "
                       "error plus a constant, the loss PCA minimizes",
         "binarize": "none: grey images, as PCA sees them",
         "batch_size": "smaller batches: more steps for the slow last principal directions",
         "budget": "long enough for the subspace to settle within a few degrees of PCA's; "
                   "twice the budget barely shrinks the angles (they shrink slowly at the "
                   "end)"}))

register(Recipe(
    name="ch02_denoising_ae_d32", chapter=2, kind="autoencoder", latent_dim=32,
    summary="dense denoising autoencoder: noisy inputs, clean targets",
    binarize=None, input_noise=0.5, budget=DENSE_BUDGET,
    why={**_AE_WHY,
         "latent_dim": "32 numbers, like the plain autoencoder it is compared with",
         "binarize": "none: the Gaussian noise is the only corruption; grey clean targets",
         "input_noise": "Gaussian noise of standard deviation 0.5 on every pixel, clipped to "
                        "[0, 1], drawn afresh for every batch (Vincent et al. 2008)"}))

for _d in (2, 16):
    register(Recipe(
        name=f"ch06_dense_vae_d{_d}", chapter=6, latent_dim=_d,
        summary=f"dense VAE with a {_d}-dimensional latent space",
        budget=DENSE_BUDGET,
        why={"latent_dim": ("2 dimensions can be drawn directly (the manifold)" if _d == 2
                            else "16 dimensions: enough for digits")}))

register(Recipe(
    name="ch06_dense_ae_d16", chapter=6, kind="autoencoder", latent_dim=16,
    summary="dense autoencoder of the same size as the 16-D VAE, for comparison",
    budget=DENSE_BUDGET,
    why={**_AE_WHY, "latent_dim": "the same 16 numbers as the VAE it is compared with"}))

register(Recipe(
    name="ch06_dense_vae_beta0", chapter=6, latent_dim=16, beta=0.0,
    summary="the 16-D dense VAE trained without the KL term (chapter 6's beta = 0 exercise)",
    budget=DENSE_BUDGET,
    why={"beta": "beta = 0: the loss is the reconstruction alone; the KL is still logged, to "
                 "see what the KL term does by taking it away"}))

_CONV_WHY = {
    "network": "the seed article's architecture done right: stride-2 convolutions down, "
               "transposed convolutions up, logits out (chapter 7)",
    "budget": "1,200 steps of 128 images, about 60-90 s per conv model on 2 CPU cores: "
              "chapter 7's four conv models train in about five minutes whether MNIST has "
              "4,000 training images (about 40 passes) or 60,000 (under 3)",
}

for _d in (2, 16, 32):
    register(Recipe(
        name=f"ch07_conv_vae_mnist_d{_d}", chapter=7, network="conv", latent_dim=_d,
        summary=f"convolutional VAE on MNIST, {_d}-dimensional latent space",
        budget=CONV_BUDGET,
        why={**_CONV_WHY,
             "latent_dim": {2: "2 dimensions: a map of the codes (chapter 8)",
                            16: "the chapter's main model",
                            32: "does a larger code help? (the latent size sweep)"}[_d]}))

register(Recipe(
    name="ch07_conv_vae_fashion_d16", chapter=7, network="conv", latent_dim=16,
    data="fashion_mnist", summary="convolutional VAE on Fashion-MNIST",
    budget=CONV_BUDGET,
    why={**_CONV_WHY, "data": "Fashion-MNIST clothing: the same model on harder images"}))

register(Recipe(
    name="ch08_conv_ae_mnist_d16", chapter=8, kind="autoencoder", network="conv",
    latent_dim=16, summary="convolutional autoencoder, the same networks as the 16-D conv VAE",
    budget=CONV_BUDGET,
    why={**_AE_WHY, **_CONV_WHY,
         "latent_dim": "16 numbers, like the conv VAE it is compared with"}))

# --- chapter 10: repairing and compressing images ---------------------------------------------
# The beta sweep traces the rate-distortion curve (chapter 10) and is reused by name for the
# beta-VAE trade-off (chapter 11): do not rename these recipes. Dense networks keep the seven
# models within the chapter's budget (about 10 s each on 2 CPU cores in full mode).
BETA_SWEEP = (0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0)
BETA_SWEEP_BUDGET = ByMode(quick=1_024, full=102_400)

# Names: beta 0.25 -> ch10_beta_sweep_b0p25 (no function here: functions of this module are
# part of the library fingerprint, and a new one would retrain every cached model).
for _beta in BETA_SWEEP:
    register(Recipe(
        name="ch10_beta_sweep_b" + f"{_beta:g}".replace(".", "p"), chapter=10, beta=_beta,
        summary=f"dense VAE trained with beta = {_beta:g} (the rate-distortion sweep)",
        budget=BETA_SWEEP_BUDGET,
        why={"beta": "the loss is distortion + beta x rate: each beta gives one point of the "
                     "rate-distortion curve (chapter 10) and of the beta-VAE trade-off "
                     "(chapter 11)",
             "budget": "102,400 images (800 steps): seven small models fit the chapter's "
                       "budget; the curve's order is settled by then"}))

register(Recipe(
    name="ch10_denoising_ae_flip_d32", chapter=10, kind="autoencoder", latent_dim=32,
    summary="dense denoising autoencoder trained on binary digits with 20% of pixels flipped",
    input_noise=0.2, noise_kind="flip", budget=DENSE_BUDGET,
    why={**_AE_WHY,
         "latent_dim": "32 numbers, like chapter 2's denoising autoencoder",
         "input_noise": "each pixel of the binarized input flipped with probability 0.2, the "
                        "middle of the 10-30% the chapter tests; clean binary targets",
         "noise_kind": "pixel flips, the noise of the chapter's denoising comparison (chapter "
                       "2's model saw Gaussian noise on grey images)"}))

# --- chapter 9: image analysis -----------------------------------------------------------------
# Anomalies within MNIST: for each digit, a VAE and an autoencoder trained on the nine other
# digits (the chapter trains three of them, picked by a measurement). Dense networks train
# 4-5 times faster than the conv VAE on 2 CPU cores, so six models fit the chapter's budget.
HELD_OUT_BUDGET = ByMode(quick=1_024, full=102_400)

for _digit in range(10):
    _kept = tuple(label for label in range(10) if label != _digit)
    for _base, _kind in (("ch06_dense_vae_d16", "vae"), ("ch06_dense_ae_d16", "ae")):
        register(get(_base).replace(
            name=f"ch09_dense_{_kind}_without_{_digit}", chapter=9, classes=_kept,
            summary=f"chapter 6's 16-D dense {'VAE' if _kind == 'vae' else 'autoencoder'}, "
                    f"trained without the digit {_digit} (anomaly detection)",
            budget=HELD_OUT_BUDGET,
            why={**get(_base).why,
                 "classes": f"every digit but {_digit}: the {_digit}s of the test split are "
                            "the anomalies to detect",
                 "budget": "102,400 images (800 steps, about 10 s for a dense model on 2 "
                           "cores): six models fit the chapter's budget; the anomaly "
                           "rankings need a good model, not the last nat"}))

# --- chapter 11: beyond the basic VAE ----------------------------------------------------------
# Dense encoders throughout (4-5 times faster than the conv networks on 2 CPU cores), so the
# chapter's nine small models fit its budget; the beta-VAE section reuses chapter 10's sweep.
for _d in (2, 16):
    register(get("ch06_dense_vae_d16").replace(
        name=f"ch11_cvae_d{_d}", chapter=11, conditional=True, latent_dim=_d,
        summary=f"conditional dense VAE: encoder and decoder read the label, {_d}-D code",
        why={"conditional": "the encoder and the decoder read the one-hot label: ask the "
                            "decoder for the digit you want",
             "latent_dim": ("2 dimensions: too few to hold the digit's identity as well, so "
                            "the label must carry it and z keeps the style" if _d == 2 else
                            "16 dimensions, like chapter 6's VAE: room to encode the digit "
                            "in z too, which the chapter measures")}))

_PIXELCNN_WHY = {
    "decoder": "autoregressive (PixelCNN): each pixel's logit sees z and the pixels above "
               "and to its left, so the decoder can draw strokes without z",
    "decoder_filters": "16 channels: a small decoder that trains in seconds, yet strong "
                       "enough to explain much of a digit from its neighbouring pixels",
    "decoder_layers": "3 masked convolutions (5x5, then two 3x3)",
    "budget": "25,600 images (200 steps): the KL settles after about 10,000; three runs fit "
              "the chapter's budget",
}
_PIXELCNN_BUDGET = ByMode(quick=1_024, full=25_600)
for _suffix, _change, _reason in (
        ("", {}, {}),
        ("_anneal", {"kl_warmup": 0.5},
         {"kl_warmup": "KL annealing: the KL weight rises from 0 to 1 over the first half of "
                       "training (Bowman et al. 2016)"}),
        ("_free_bits", {"free_bits": 1.0},
         {"free_bits": "free bits: each latent dimension's first nat of KL costs nothing "
                       "(Kingma et al. 2016)"})):
    register(get("ch06_dense_vae_d16").replace(
        name=f"ch11_pixelcnn_vae{_suffix}", chapter=11, decoder="pixelcnn",
        decoder_filters=16, decoder_layers=3, budget=_PIXELCNN_BUDGET, **_change,
        summary="dense encoder, autoregressive PixelCNN decoder (posterior collapse)"
                + (f", {_suffix[1:].replace('_', ' ')}" if _suffix else ""),
        why={**_PIXELCNN_WHY, **_reason}))

_GREY_WHY = {
    "data": "Fashion-MNIST clothing: grey levels matter (fabric, shading), unlike digits",
    "binarize": "none: grey targets, modelled by a density on [0, 1] or on the real line",
    "budget": "102,400 images (800 steps): three small models fit the chapter's budget",
}
for _suffix, _likelihood, _reason in (
        ("gaussian_var1", likelihoods.Gaussian(variance=1.0),
         "the seed article's N(G(z), I): Gaussian pixels of variance 1 around the sigmoid "
         "mean"),
        ("learned_var", likelihoods.LearnedGaussian(initial_variance=0.1),
         "Gaussian pixels with ONE variance learned with the networks, started at 0.1: Adam "
         "moves log(variance) by about the learning rate per step, so from 1 it would need "
         "thousands of steps to reach the squared error of a good reconstruction"),
        ("continuous_bernoulli", likelihoods.ContinuousBernoulli(),
         "the continuous Bernoulli, a normalized density on [0, 1] (Loaiza-Ganem and "
         "Cunningham 2019)")):
    register(get("ch06_dense_vae_d16").replace(
        name=f"ch11_fashion_{_suffix}", chapter=11, data="fashion_mnist", binarize=None,
        likelihood=_likelihood, budget=ByMode(quick=2_048, full=102_400),
        summary=f"dense VAE on grey Fashion-MNIST, likelihood: {_suffix.replace('_', ' ')}",
        why={**_GREY_WHY, "likelihood": _reason}))
