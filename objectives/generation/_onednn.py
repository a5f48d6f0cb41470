"""The decoder's linear layers run by oneDNN instead of MKL, on CPU in float32.

A CPU decoding step is mostly products of ``[rows, hidden]`` activations by each decoder weight (74-86 % of the
step at 48 clips, ``benchmarks/decode_profile.py``; figures in benchmarks/README.md). ``nn.Linear`` sends them to
MKL's sgemm; torch's oneDNN inner product (``mkldnn_linear``, its ``brg_matmul`` kernel on AVX-512; the weight
kept as a oneDNN tensor in its plain row-major layout, converted once) ran the step's products 1.2-1.9x faster
and the whole step 1.22-1.78x faster from 2 to 192 rows on an AVX-512 AMD EPYC (``benchmarks/gemm_ceiling.py``,
which times both). Not measured on other CPUs (AVX2-only, ARM). Rounding differs in the last bits where the
libraries split the sums differently (about 2e-6 on outputs of magnitude 2 at musicgen-small's widths; on the
debug model's widths only at 1-3 rows), as either library's does between batch sizes, so tokens equal
``generate``'s wherever the best two logits are further apart than that (tested on the debug model, greedy, with
and without guidance, at 2 rows too).
"""

from __future__ import annotations

from collections.abc import Iterator

import torch

__all__ = ["OneDNNLinear", "can_convert", "convert_linears", "convert_where_it_applies", "linear_layers",
           "weight_bytes"]


class OneDNNLinear(torch.nn.Module):
    """An inference-only ``nn.Linear`` run by oneDNN: ``[..., in_features]`` -> ``[..., out_features]``, dense
    float32 CPU tensors in and out (each call converts the input to a oneDNN tensor and the output back, a copy
    of the activations, not of the weight).

    Its own module rather than torch's :class:`torch.utils.mkldnn.MkldnnLinear`: that one is a TorchScript module
    (deprecated in torch 2.13) whose ``state_dict`` holds oneDNN tensors, so ``load_state_dict`` of ordinary
    weights fails; this one saves and loads ordinary dense tensors under the same keys as ``nn.Linear``.

    Args:
        linear: the float32 CPU layer to take the weight (and bias) of.
    """

    def __init__(self, linear: torch.nn.Linear) -> None:
        super().__init__()
        self.in_features, self.out_features = linear.in_features, linear.out_features
        self.weight = linear.weight.detach().to_mkldnn()
        self.bias = None if linear.bias is None else linear.bias.detach().to_mkldnn()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Raises TypeError for an input that is not float32 on CPU (oneDNN would convert the weight each call)."""
        if x.dtype != torch.float32 or x.device.type != "cpu":
            raise TypeError(f"a oneDNN linear layer takes float32 CPU input, not {x.dtype} on {x.device}: convert "
                            "or move the model before its linear layers are converted, not after.")
        return torch._C._nn.mkldnn_linear(x.contiguous().to_mkldnn(), self.weight, self.bias).to_dense()

    def _save_to_state_dict(self, destination, prefix, keep_vars) -> None:
        destination[prefix + "weight"] = self.weight.to_dense()
        if self.bias is not None:
            destination[prefix + "bias"] = self.bias.to_dense()

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs) -> None:
        for name, shape in (("weight", (self.out_features, self.in_features)), ("bias", (self.out_features,))):
            if name == "bias" and self.bias is None:
                continue
            key = prefix + name
            if key not in state_dict:
                missing_keys.append(key)
            elif tuple(state_dict[key].shape) != shape:
                error_msgs.append(f"size mismatch for {key}: {tuple(state_dict[key].shape)} in the checkpoint, "
                                  f"{shape} in the model.")
            else:
                setattr(self, name, state_dict[key].detach().to(torch.float32).contiguous().to_mkldnn())
        if strict:  # as Module._load_from_state_dict: keys under this layer's prefix it does not hold
            known = {prefix + "weight"} | ({prefix + "bias"} if self.bias is not None else set())
            unexpected_keys.extend(k for k in state_dict if k.startswith(prefix) and k not in known
                                   and "." not in k[len(prefix):])

    def __getstate__(self) -> dict:
        """Dense weights for ``copy.deepcopy`` and pickle (a oneDNN tensor has no storage to copy)."""
        state = dict(self.__dict__)
        state["weight"] = self.weight.to_dense()
        state["bias"] = None if self.bias is None else self.bias.to_dense()
        return state

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        self.weight = self.weight.to_mkldnn()
        self.bias = None if self.bias is None else self.bias.to_mkldnn()

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


def can_convert(module: torch.nn.Module) -> bool:
    """Whether :func:`convert_linears` applies: ``module``'s weights are float32 on CPU and torch has oneDNN."""
    first = next(module.parameters(), None)
    return (first is not None and first.device.type == "cpu" and first.dtype == torch.float32
            and torch.backends.mkldnn.is_available())


def convert_linears(module: torch.nn.Module) -> int:
    """Replace every ``nn.Linear`` inside ``module`` by a :class:`OneDNNLinear` holding the same weight (and bias),
    in place; return how many were replaced.

    The layers keep their names, their ``state_dict`` keys and values, and take and return ordinary dense tensors;
    each oneDNN weight replaces the original, so memory stays the same (``state_dict`` builds dense copies).
    Inference only (no gradients); move or narrow the model before converting, not after (a converted layer
    refuses other input: :meth:`OneDNNLinear.forward`). Applying it twice replaces nothing more.

    Raises:
        ValueError: ``module`` is not float32 on a CPU with oneDNN (:func:`can_convert`).
    """
    if not can_convert(module):
        raise ValueError("oneDNN linear layers need float32 weights on a CPU and a torch built with oneDNN.")
    replaced = 0
    for parent in list(module.modules()):
        for name, child in list(parent.named_children()):
            if type(child) is torch.nn.Linear:
                setattr(parent, name, OneDNNLinear(child))
                replaced += 1
    return replaced


def convert_where_it_applies(module: torch.nn.Module) -> bool:
    """:func:`convert_linears` where :func:`can_convert` says it applies; whether it did."""
    if not can_convert(module):
        return False
    convert_linears(module)
    return True


def linear_layers(module: torch.nn.Module) -> Iterator[tuple[str, torch.nn.Module, tuple[int, int]]]:
    """``(name, layer, (out_features, in_features))`` of every linear layer in ``module``, converted or not, in
    module order (what a roofline counts whichever library runs the products)."""
    for name, child in module.named_modules():
        if isinstance(child, torch.nn.Linear | OneDNNLinear):
            yield name, child, (child.out_features, child.in_features)


def weight_bytes(module: torch.nn.Module) -> int:
    """Bytes of ``module``'s weights, oneDNN layers' included (they hold theirs outside ``parameters()``)."""
    onednn = [t for m in module.modules() if isinstance(m, OneDNNLinear) for t in (m.weight, m.bias) if t is not None]
    return sum(t.numel() * t.element_size() for t in [*module.parameters(), *onednn])
