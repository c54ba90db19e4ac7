"""Stitchboard's bundled datasets and encoder zoo, installed as the package data ``core.assets``.

One folder per dataset: ``manifest.json`` and the encoders' safetensors weights.
Found through :func:`core.spaces.assets.assets_dir`.
"""
