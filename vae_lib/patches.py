"""Colour patches cut from the sample photos bundled with scikit-image (chapter 11).

The photos of ``skimage.data`` ship inside the package, so this works offline. Patches are
cut at random places (seeded) and scaled to [0, 1]; a photo can be kept apart as test data,
so that a model is scored on a photo it never saw.

Introduced in chapter 11.
"""

import numpy as np

PHOTOS = ("astronaut", "coffee", "chelsea", "rocket", "immunohistochemistry",
          "hubble_deep_field")


def load_photo(name):
    """One of ``PHOTOS`` as float32 (H, W, 3) in [0, 1].

    Raises:
        ValueError: for a name not in ``PHOTOS``.
        ImportError: if scikit-image is not installed (``pip install scikit-image``).
    """
    if name not in PHOTOS:
        raise ValueError(f"photo {name!r}; expected one of {PHOTOS}")
    try:
        import skimage.data
    except ImportError as error:
        raise ImportError("the photo patches need scikit-image: pip install scikit-image") \
            from error
    photo = getattr(skimage.data, name)()
    return (photo[..., :3].astype("float32") / 255.0)


def cut_patches(photos, num_patches, size=32, seed=0):
    """Cut ``num_patches`` square colour patches at random places from the named photos.

    Each patch picks a photo (in turn, so the photos contribute equally) and a random
    top-left corner.

    Args:
        photos: names from ``PHOTOS``.
        num_patches: how many patches.
        size: side of a patch in pixels.
        seed: integer seed of the places.

    Returns:
        np.ndarray (num_patches, size, size, 3), float32 in [0, 1].
    """
    if isinstance(photos, str) or not photos:
        raise ValueError(f"photos={photos!r}; expected a non-empty list of names")
    for name, value in (("num_patches", num_patches), ("size", size)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name}={value!r}; expected a positive integer")
    images = [load_photo(name) for name in photos]
    for name, image in zip(photos, images):
        if min(image.shape[:2]) < size:
            raise ValueError(f"photo {name!r} is {image.shape[:2]}, smaller than size={size}")
    rng = np.random.default_rng(seed)
    patches = np.empty((num_patches, size, size, 3), dtype="float32")
    for index in range(num_patches):
        image = images[index % len(images)]
        top = rng.integers(0, image.shape[0] - size + 1)
        left = rng.integers(0, image.shape[1] - size + 1)
        patches[index] = image[top:top + size, left:left + size]
    return patches
