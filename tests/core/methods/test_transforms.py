import numpy as np
import pytest

from core.errors import InvalidInputError
from core.methods.relative import relative_projection
from core.methods.transforms import TRANSFORM_HELP, TRANSFORMS, random_orthogonal, transform_space

X = np.random.default_rng(0).normal(size=(200, 12)).astype(np.float32) + 0.5
STRENGTH = {"rotation": 70.0, "isotropic_scale": 3.0, "translation": 1.5, "anisotropic_scale": 6.0, "noise": 0.3}


def rel(M):
    return relative_projection(M, M[:20])


@pytest.mark.parametrize("kind", TRANSFORMS)
def test_relative_vectors_change_exactly_when_the_table_says(kind):
    Y = transform_space(X, kind=kind, strength=STRENGTH.get(kind, 1.0), random_state=1)
    assert Y.shape == X.shape and Y.dtype == X.dtype
    invariant = TRANSFORM_HELP[kind][1]
    same = np.allclose(rel(X), rel(Y), atol=1e-4)
    assert same == invariant, kind
    if kind != "none" and kind != "isotropic_scale":
        assert not np.allclose(X, Y, atol=1e-3), kind  # the absolute vectors did move


def test_translation_invariant_once_centred_on_the_anchors():
    Y = transform_space(X, kind="translation", strength=2.0)
    np.testing.assert_allclose(relative_projection(X, X[:20], center="anchors"),
                               relative_projection(Y, Y[:20], center="anchors"), atol=1e-4)


def test_rotation_angle_and_determinism():
    np.testing.assert_allclose(transform_space(X, kind="rotation", strength=360.0), X, atol=1e-4)
    a = transform_space(X, kind="rotation", strength=30.0, random_state=5)
    b = transform_space(X, kind="rotation", strength=30.0, random_state=5)
    np.testing.assert_array_equal(a, b)
    # each plane turns by the angle: the mean cosine between x and its rotated self is cos(30°) for even dims
    cos = (X * a).sum(1) / (np.linalg.norm(X, axis=1) * np.linalg.norm(a, axis=1))
    assert abs(np.median(cos) - np.cos(np.deg2rad(30))) < 0.1
    Q = random_orthogonal(7, random_state=2)
    np.testing.assert_allclose(Q.T @ Q, np.eye(7), atol=1e-12)


def test_errors_name_the_parameter():
    with pytest.raises(InvalidInputError, match="kind='shear' is not supported"):
        transform_space(X, kind="shear")
    with pytest.raises(InvalidInputError, match="strength=0 must be > 0"):
        transform_space(X, kind="isotropic_scale", strength=0)
    with pytest.raises(InvalidInputError, match="strength=0.5 must be >= 1"):
        transform_space(X, kind="anisotropic_scale", strength=0.5)
    with pytest.raises(InvalidInputError, match="2-D"):
        transform_space(X[0], kind="none")
