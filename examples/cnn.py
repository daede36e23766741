"""Train a small CNN (Conv2d, BatchNorm2d, MaxPool2d) on the shipped 8x8 digits; save and
reload its state dict with ng.save / ng.load."""

import os
import tempfile

import ndgrad as ng
from ndgrad import nn
from ndgrad.__main__ import load_digits, split
from ndgrad.utils.data import DataLoader, TensorDataset


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(32 * 2 * 2, 10))

    def forward(self, x):
        return self.head(self.features(x))


ng.manual_seed(0)
xtr, ytr, xte, yte = split(*load_digits())
train = DataLoader(TensorDataset(ng.tensor(xtr), ng.tensor(ytr)), batch_size=32, shuffle=True)
model = Net()
opt = ng.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
sched = ng.optim.lr_scheduler.StepLR(opt, step_size=4, gamma=0.5)
for epoch in range(8):
    model.train()
    for xb, yb in train:
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
    sched.step()
    model.eval()
    with ng.no_grad():
        acc = (model(ng.tensor(xte)).argmax(dim=1) == ng.tensor(yte)).float().mean().item()
    print(f"epoch {epoch + 1}  lr {sched.get_last_lr()[0]:.4f}  test accuracy {acc:.2%}")

path = os.path.join(tempfile.mkdtemp(), "cnn.npz")
ng.save(model.state_dict(), path)
clone = Net()
clone.load_state_dict(ng.load(path))
clone.eval()
with ng.no_grad():
    same = (clone(ng.tensor(xte)).argmax(dim=1) == model(ng.tensor(xte)).argmax(dim=1))
print("reloaded model agrees on all test images:", bool(same.all()))
