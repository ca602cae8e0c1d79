"""Shapes next to a crossing, for Python tests, from the diffcheck binary."""

import pytest

import diffcheck_torch


def test_the_shapes_around_the_seed_kernels_state_offset():
    try:
        near = diffcheck_torch.boundary("chunk_gated_delta_rule_fwd_h:T=1000,H=32,Hg=16,index=i32",
                                        key="T", product="h/loop")
    except FileNotFoundError:
        pytest.skip("no diffcheck binary (scripts/build)")
    assert near["crossing"] == 262145  # chunk 4096 of 64 tokens: i_t * H * V * K = 2^31
    assert [s["value"] for s in near["shapes"]] == [262144, 262145, 262146]
    offsets = diffcheck_torch.explain(near["shapes"][1]["shape"])["offsets"]
    assert any(o["tensor"] == "h" and o["reaches"] for o in offsets)


def test_a_key_that_is_not_an_integer_key_is_refused_with_its_name():
    try:
        diffcheck_torch.boundary("im3d2col:c=2,d=19,h=146,w=258", key="zz")
    except FileNotFoundError:
        pytest.skip("no diffcheck binary (scripts/build)")
    except ValueError as e:
        assert "'zz' is not an integer key of im3d2col" in str(e)
    else:
        raise AssertionError("no error")
