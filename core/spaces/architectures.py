"""Encoder architectures of the bundled zoo in PyTorch, for training (``stitchboard zoo build``).

Each model is a classifier ``head(encoder(x))``; its latent space is the output of
``encoder``, i.e. the penultimate layer. Architectures are named so that a model can be
rebuilt from ``(arch, config)`` in a manifest and filled from safetensors weights. The
app runs the same models as ONNX graphs (:mod:`core.spaces.architecture_graphs`), without torch.
"""

from __future__ import annotations

import torch
from torch import nn

from ..errors import InvalidInputError
from .architecture_graphs import AUTOENCODERS, architecture_config

__all__ = ["MLPClassifier", "CNNClassifier", "AutoEncoder", "ARCHITECTURES", "AUTOENCODERS", "build_model"]


def _mlp_encoder(in_dim: int, hidden: int, latent_dim: int) -> nn.Sequential:
    """in_dim -> hidden (ReLU) -> latent_dim (Tanh): the encoder of the MLP classifier and the autoencoder."""
    return nn.Sequential(nn.Linear(in_dim, hidden), nn.ReLU(), nn.Linear(hidden, latent_dim), nn.Tanh())


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
        self.encoder = _mlp_encoder(in_dim, hidden, latent_dim)
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


class AutoEncoder(nn.Module):
    """``in_dim -> hidden -> latent_dim -> hidden -> in_dim`` MLP autoencoder.

    Trained to reconstruct inputs in [0, 1] (sigmoid output, MSE loss); its latent
    space is the bottleneck (after Tanh). No labels are used in training.

    Parameters
    ----------
    in_dim : int, default=64
    hidden : int, default=128
    latent_dim : int, default=32
    """

    def __init__(self, in_dim: int = 64, *, hidden: int = 128, latent_dim: int = 32):
        super().__init__()
        self.encoder = _mlp_encoder(in_dim, hidden, latent_dim)
        self.decoder = nn.Sequential(
            nn.Linear(latent_dim, hidden),
            nn.ReLU(),
            nn.Linear(hidden, in_dim),
            nn.Sigmoid(),
        )

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """x : (n, in_dim) -> latents (n, latent_dim)."""
        return self.encoder(x.reshape(x.shape[0], -1))

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """z : (n, latent_dim) -> reconstructions (n, in_dim) in [0, 1]."""
        return self.decoder(z)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x : (n, in_dim) -> reconstructions (n, in_dim)."""
        return self.decode(self.encode(x))


#: Architecture name -> class. The manifest's ``arch`` field names one of these.
ARCHITECTURES = {"mlp": MLPClassifier, "cnn": CNNClassifier, "ae": AutoEncoder}


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
    config = architecture_config(arch, config)  # InvalidInputError naming the bad arch, key or size
    first = "side" if arch == "cnn" else "in_dim"
    first_value = config.pop(first)
    return ARCHITECTURES[arch](first_value, **config)
