"""Encoder architectures of the bundled zoo (PyTorch).

Each model is a classifier ``head(encoder(x))``; its latent space is the output of
``encoder``, i.e. the penultimate layer. Architectures are named so that a model can be
rebuilt from ``(arch, config)`` in a manifest and filled from safetensors weights.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["MLPClassifier", "CNNClassifier", "ARCHITECTURES", "build_model"]


class MLPClassifier(nn.Module):
    """``in_dim -> hidden -> latent_dim`` MLP encoder plus a linear classifier.

    Parameters
    ----------
    in_dim : int, default=64
    hidden : int, default=128
    latent_dim : int, default=64
    n_classes : int, default=10
    """

    def __init__(self, in_dim: int = 64, *, hidden: int = 128, latent_dim: int = 64, n_classes: int = 10):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Linear(in_dim, hidden),
            nn.ReLU(),
            nn.Linear(hidden, latent_dim),
            nn.Tanh(),
        )
        self.head = nn.Linear(latent_dim, n_classes)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """x : (n, in_dim) -> latents (n, latent_dim)."""
        return self.encoder(x.reshape(x.shape[0], -1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x : (n, in_dim) -> logits (n, n_classes)."""
        return self.head(self.encode(x))


class CNNClassifier(nn.Module):
    """Small CNN on ``side x side`` single-channel images plus a linear classifier.

    Parameters
    ----------
    side : int, default=8
        Image side in pixels; inputs of shape (n, side*side) are reshaped.
    channels : int, default=16
    latent_dim : int, default=64
    n_classes : int, default=10
    """

    def __init__(self, side: int = 8, *, channels: int = 16, latent_dim: int = 64, n_classes: int = 10):
        super().__init__()
        if side % 2:
            from .errors import InvalidInputError

            raise InvalidInputError(f"side={side} must be even (one 2x2 max-pool)")
        self.side = side
        self.encoder = nn.Sequential(
            nn.Conv2d(1, channels, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(channels, 2 * channels, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(2 * channels * (side // 2) ** 2, latent_dim),
            nn.Tanh(),
        )
        self.head = nn.Linear(latent_dim, n_classes)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """x : (n, side*side) -> latents (n, latent_dim)."""
        return self.encoder(x.reshape(x.shape[0], 1, self.side, self.side))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x : (n, side*side) -> logits (n, n_classes)."""
        return self.head(self.encode(x))


#: Architecture name -> class. The manifest's ``arch`` field names one of these.
ARCHITECTURES = {"mlp": MLPClassifier, "cnn": CNNClassifier}


def build_model(arch: str, config: dict) -> nn.Module:
    """Instantiate an architecture from its manifest entry.

    Parameters
    ----------
    arch : str
        A key of :data:`ARCHITECTURES`.
    config : dict
        Keyword arguments of the architecture's constructor.

    Returns
    -------
    torch.nn.Module
    """
    from .errors import InvalidInputError

    if not isinstance(arch, str) or arch not in ARCHITECTURES:
        raise InvalidInputError(f"arch={arch!r} is not a zoo architecture; choose one of {sorted(ARCHITECTURES)}")
    if not isinstance(config, dict):
        raise InvalidInputError(f"config must be a dict of constructor arguments; got {type(config).__name__}")
    config = dict(config)
    first = "in_dim" if arch == "mlp" else "side"
    if first not in config:
        raise InvalidInputError(f"config of arch={arch!r} needs {first!r}")
    first_value = config.pop(first)
    try:
        return ARCHITECTURES[arch](first_value, **config)
    except (TypeError, ValueError, RuntimeError) as exc:
        raise InvalidInputError(f"config {dict(config, **{first: first_value})} does not build arch={arch!r}: {exc}") from None
