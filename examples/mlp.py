"""Train an MLP on the shipped 8x8 digits with nn.Sequential, DataLoader and Adam."""

import ndgrad as ng
from ndgrad import nn
from ndgrad.__main__ import load_digits, split
from ndgrad.utils.data import DataLoader, TensorDataset

ng.manual_seed(0)
xtr, ytr, xte, yte = split(*load_digits())
train = DataLoader(TensorDataset(ng.tensor(xtr), ng.tensor(ytr)), batch_size=32, shuffle=True)
model = nn.Sequential(nn.Flatten(), nn.Linear(64, 128), nn.ReLU(), nn.Dropout(0.1),
                      nn.Linear(128, 10))
opt = ng.optim.Adam(model.parameters(), lr=3e-3)
loss_fn = nn.CrossEntropyLoss(label_smoothing=0.05)
for epoch in range(10):
    model.train()
    for xb, yb in train:
        opt.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()
    model.eval()
    with ng.no_grad():
        acc = (model(ng.tensor(xte)).argmax(dim=1) == ng.tensor(yte)).float().mean().item()
    print(f"epoch {epoch + 1:2d}  last batch loss {loss.item():.4f}  test accuracy {acc:.2%}")
