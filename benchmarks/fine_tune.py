"""The fine-tuning loop both trained models share: AdamW over a model's trainable MiniLM layers
and its head, warm-up then linear decay, and a checkpoint that a rerun resumes from. Used by
train_ranker.py and train_attribution.py; each brings its own model, batches and loss."""

from __future__ import annotations

from pathlib import Path


class FineTuning:
    """Optimiser, schedule and checkpoint of one training run of `steps` steps.

    The head learns at its own rate; the learning rate warms up over the first 5% of the steps,
    then falls linearly to zero. Built where a checkpoint exists, it resumes from it.
    """

    def __init__(self, model, steps: int, learning_rate: float, head_learning_rate: float, checkpoint: Path) -> None:
        import torch

        self.model, self.steps, self.checkpoint, self.step = model, steps, checkpoint, 0
        head = list(model.head.parameters())
        body = [p for p in model.bert.parameters() if p.requires_grad]
        self.optimiser = torch.optim.AdamW(
            [{"params": body, "lr": learning_rate}, {"params": head, "lr": head_learning_rate}], weight_decay=0.01
        )
        warmup = max(1, steps // 20)
        self.schedule = torch.optim.lr_scheduler.LambdaLR(
            self.optimiser, lambda s: min(1.0, (s + 1) / warmup) * max(0.0, (steps - s) / max(1, steps - warmup))
        )
        if checkpoint.exists():
            state = torch.load(checkpoint, weights_only=False)
            model.load_state_dict(state["model"])
            self.optimiser.load_state_dict(state["optimiser"])
            self.schedule.load_state_dict(state["schedule"])
            self.step = state["step"]
            print(f"train: resumed at step {self.step} of {steps}", flush=True)

    def update(self, loss) -> None:
        """One optimiser step on `loss`, gradients clipped to norm 1."""
        import torch

        self.optimiser.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
        self.optimiser.step()
        self.schedule.step()
        self.step += 1

    def save_if_due(self, every: int) -> None:
        """Write the checkpoint every `every` steps and at the last one (atomically: a kill
        mid-write leaves the previous checkpoint)."""
        import torch

        if self.step % every == 0 or self.step == self.steps:
            state = {
                "model": self.model.state_dict(),
                "optimiser": self.optimiser.state_dict(),
                "schedule": self.schedule.state_dict(),
                "step": self.step,
            }
            torch.save(state, self.checkpoint.with_suffix(".tmp"))
            self.checkpoint.with_suffix(".tmp").replace(self.checkpoint)
