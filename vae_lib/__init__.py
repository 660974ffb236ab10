"""vae_lib: the small, tested library behind the book *Variational Autoencoders for Image
Analysis and Visualization*.

Modules, in the order they depend on each other:
settings -> data -> distributions -> likelihoods -> elbo -> layers -> networks -> models
-> training / evaluation -> pca / plots / widgets / checks / coursework / notebook.
"""

import os

# TensorFlow's C++ start-up chatter; it must be set before TensorFlow is first imported.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

__version__ = "0.1.0"
