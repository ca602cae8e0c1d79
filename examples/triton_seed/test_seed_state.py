"""The Triton seed kernel as a pytest suite, for `pytest --diffcheck-guards` (issue 25): with the
guarded allocator the pre-fix variant's first wrapped store is an illegal-address error that
fails its test; the fix passes. Needs a GPU, PyTorch and Triton."""

import pytest

torch = pytest.importorskip("torch")
if not torch.cuda.is_available():
    pytest.skip("no GPU", allow_module_level=True)

import seed_state  # noqa: E402


def test_the_fix_stores_every_chunk():
    assert seed_state.main("i64", 270336) == 0


def test_before_the_fix():
    assert seed_state.main("i32", 270336) == 0
