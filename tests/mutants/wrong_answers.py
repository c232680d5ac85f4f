"""Typical wrong answers ("mutants") for every exercise check.

Each entry is (topic, check name, hint fragment, wrong function): calling
`checks.<topic>.<check name>(wrong function)` must raise AssertionError whose
message contains the fragment. The functions are written the way a student
would write the mistake, not built from the checks' own mutants.
tests/test_exercises.py runs them all.
"""
import math

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

MUTANTS = []


def mutant(topic, check, hint):
    def register(fn):
        MUTANTS.append((topic, check, hint, fn))
        return fn
    return register


# ---------------------------------------------------------------- 01 ravine

@mutant("ravine", "ravine_gradient", "sign is flipped")
def _(theta):
    return np.array([-2 * theta[0], -20 * theta[1]])


@mutant("ravine", "ravine_gradient", "dropped the factor 2")
def _(theta):
    return np.array([theta[0], 10 * theta[1]])


@mutant("ravine", "ravine_gradient", "coordinates are swapped")
def _(theta):
    return np.array([20 * theta[0], 2 * theta[1]])


@mutant("ravine", "ravine_gradient", "modified the input array `theta` in place")
def _(theta):
    theta[0] *= 2
    theta[1] *= 20
    return theta


@mutant("ravine", "ravine_gradient", "expected shape (2,)")
def _(theta):
    return theta[0] ** 2 + 10 * theta[1] ** 2  # the loss, not its gradient


@mutant("ravine", "largest_stable_lr", "smallest eigenvalue")
def _(hessian):
    return 2 / np.linalg.eigvalsh(hessian).min()


@mutant("ravine", "largest_stable_lr", "factor 2 is missing")
def _(hessian):
    return 1 / np.linalg.eigvalsh(hessian).max()


@mutant("ravine", "largest_stable_lr", "you read the diagonal")
def _(hessian):
    return 2 / np.max(np.diag(hessian))


@mutant("ravine", "largest_stable_lr", "best fixed learning rate")
def _(hessian):
    eigenvalues = np.linalg.eigvalsh(hessian)
    return 2 / (eigenvalues.min() + eigenvalues.max())


@mutant("ravine", "largest_stable_lr", "should be a single number")
def _(hessian):
    return 2 / np.linalg.eigvalsh(hessian)


@mutant("ravine", "gd_step", "sign is flipped")
def _(theta, grad, lr):
    return theta + lr * grad


@mutant("ravine", "gd_step", "modified the input array `theta` in place")
def _(theta, grad, lr):
    theta -= lr * grad
    return theta


@mutant("ravine", "gd_step", "modified the input array `theta` in place")
def _(theta, grad, lr):
    theta -= lr * grad  # and forgot to return it


@mutant("ravine", "gd_step", "learning rate is missing")
def _(theta, grad, lr):
    return theta - grad


@mutant("ravine", "gd_step", "returned None")
def _(theta, grad, lr):
    theta - lr * grad


@mutant("ravine", "gd_rate", "absolute value is missing")
def _(lr, lambda_min, lambda_max):
    return max(1 - lr * lambda_min, 1 - lr * lambda_max)


@mutant("ravine", "gd_rate", "steep direction counts too")
def _(lr, lambda_min, lambda_max):
    return abs(1 - lr * lambda_min)


@mutant("ravine", "gd_rate", "use max, not min")
def _(lr, lambda_min, lambda_max):
    return min(abs(1 - lr * lambda_min), abs(1 - lr * lambda_max))


@mutant("ravine", "gd_rate", "best rate at the optimal lr")
def _(lr, lambda_min, lambda_max):
    kappa = lambda_max / lambda_min
    return (kappa - 1) / (kappa + 1)


# ---------------------------------------------------------------- 02 momentum

@mutant("momentum", "heavy_ball_step", "sign is flipped")
def _(theta, v, grad, lr, beta):
    v_new = beta * v + lr * grad
    return theta + v_new, v_new


@mutant("momentum", "heavy_ball_step", "old velocity")
def _(theta, v, grad, lr, beta):
    return theta + v, beta * v - lr * grad


@mutant("momentum", "heavy_ball_step", "EMA form")
def _(theta, v, grad, lr, beta):
    v_new = beta * v + (1 - beta) * grad
    return theta - lr * v_new, v_new


@mutant("momentum", "heavy_ball_step", "torch.optim's form")
def _(theta, v, grad, lr, beta):
    v_new = beta * v + grad
    return theta - lr * v_new, v_new


@mutant("momentum", "heavy_ball_step", "modified the input array `v` in place")
def _(theta, v, grad, lr, beta):
    v *= beta
    v -= lr * grad
    return theta + v, v


@mutant("momentum", "heavy_ball_step", "should return 2 values")
def _(theta, v, grad, lr, beta):
    return theta + beta * v - lr * grad


@mutant("momentum", "nesterov_step", "Nesterov gave the same result as plain momentum")
def _(theta, v, grad_fn, lr, beta):
    v_new = beta * v - lr * grad_fn(theta)
    return theta + v_new, v_new


@mutant("momentum", "nesterov_step", "look-ahead goes the wrong way")
def _(theta, v, grad_fn, lr, beta):
    v_new = beta * v - lr * grad_fn(theta - beta * v)
    return theta + v_new, v_new


@mutant("momentum", "nesterov_step", "you left out beta")
def _(theta, v, grad_fn, lr, beta):
    v_new = beta * v - lr * grad_fn(theta + v)
    return theta + v_new, v_new


@mutant("momentum", "nesterov_step", "never called grad_fn")
def _(theta, v, grad_fn, lr, beta):
    v_new = beta * v - lr * theta  # "the gradient of a quadratic is theta"
    return theta + v_new, v_new


@mutant("momentum", "effective_memory", "don't round")
def _(beta):
    return int(1 / (1 - beta))


@mutant("momentum", "effective_memory", "divided by beta")
def _(beta):
    return 1 / beta if beta else math.inf


@mutant("momentum", "effective_memory", "off by one")
def _(beta):
    return beta / (1 - beta)


@mutant("momentum", "effective_memory", "e-folding time")
def _(beta):
    return -1 / math.log(beta) if beta else 0.0


@mutant("momentum", "nesterov_two_step", "Nesterov gave the same result as plain momentum")
def _(x, x_prev, grad, grad_prev, lr, beta):
    return x + beta * (x - x_prev) - lr * grad


@mutant("momentum", "nesterov_two_step", "correction has the wrong sign")
def _(x, x_prev, grad, grad_prev, lr, beta):
    return x + beta * (x - x_prev) - lr * grad + beta * lr * (grad - grad_prev)


@mutant("momentum", "nesterov_two_step", "you left out beta")
def _(x, x_prev, grad, grad_prev, lr, beta):
    return x + beta * (x - x_prev) - lr * grad - lr * (grad - grad_prev)


@mutant("momentum", "nesterov_two_step", "change of the gradient")
def _(x, x_prev, grad, grad_prev, lr, beta):
    return x + beta * (x - x_prev) - lr * grad - beta * lr * grad


# ---------------------------------------------------------------- 03 saddles

@mutant("saddles", "classify_critical_point", "off the diagonal")
def _(hessian, tol=1e-8):
    d = np.diag(hessian)
    if np.any(d > tol) and np.any(d < -tol):
        return "saddle"
    if np.any(np.abs(d) <= tol):
        return "degenerate"
    return "minimum" if np.all(d > 0) else "maximum"


@mutant("saddles", "classify_critical_point", "determinant test works only in 2-D")
def _(hessian, tol=1e-8):
    det = np.linalg.det(hessian)
    if abs(det) <= tol:
        return "degenerate"
    if det < 0:
        return "saddle"
    return "minimum" if hessian[0, 0] > 0 else "maximum"


@mutant("saddles", "classify_critical_point", "positive determinant does not make a minimum")
def _(hessian, tol=1e-8):
    det = np.linalg.det(hessian)
    if abs(det) <= tol:
        return "degenerate"
    return "minimum" if det > 0 else "saddle"


@mutant("saddles", "classify_critical_point", "minimum and maximum are swapped")
def _(hessian, tol=1e-8):
    e = np.linalg.eigvalsh(hessian)
    if np.any(e > tol) and np.any(e < -tol):
        return "saddle"
    if np.any(np.abs(e) <= tol):
        return "degenerate"
    return "maximum" if np.all(e > 0) else "minimum"


@mutant("saddles", "classify_critical_point", "makes the test inconclusive")
def _(hessian, tol=1e-8):
    e = np.linalg.eigvalsh(hessian)
    if np.all(e >= 0):
        return "minimum"
    if np.all(e <= 0):
        return "maximum"
    return "saddle"


@mutant("saddles", "classify_critical_point", "test for mixed signs before")
def _(hessian, tol=1e-8):
    e = np.linalg.eigvalsh(hessian)
    if np.any(np.abs(e) <= tol):
        return "degenerate"
    if np.all(e > 0):
        return "minimum"
    if np.all(e < 0):
        return "maximum"
    return "saddle"


@mutant("saddles", "classify_critical_point", "(lower case)")
def _(hessian, tol=1e-8):
    e = np.linalg.eigvalsh(hessian)
    return "Minimum" if np.all(e > 0) else "Saddle"


@mutant("saddles", "escape_step", "off by one")
def _(xs, radius):
    for k, x in enumerate(xs, start=1):
        if np.linalg.norm(x) > radius:
            return k
    return -1


@mutant("saddles", "escape_step", "strict '>'")
def _(xs, radius):
    for k, x in enumerate(xs):
        if np.linalg.norm(x) >= radius:
            return k
    return -1


@mutant("saddles", "escape_step", "norm of the whole position")
def _(xs, radius):
    for k, x in enumerate(xs):
        if abs(x[-1]) > radius:
            return k
    return -1


@mutant("saddles", "escape_step", "return -1 when the trajectory never leaves")
def _(xs, radius):
    k = 0
    while k < len(xs) and np.linalg.norm(xs[k]) <= radius:
        k += 1
    return k


@mutant("saddles", "escape_step", "should be an int")
def _(xs, radius):
    outside = np.linalg.norm(xs, axis=1) > radius
    return float(np.argmax(outside)) if outside.any() else -1.0


def _escape(x0, lr, radius, max_steps, gradient, sign=1.0, steps=None):
    theta = np.array(x0, dtype=float)
    for k in range(max_steps + 1 if steps is None else steps):
        if np.linalg.norm(theta) > radius:
            return k
        theta = theta - sign * lr * gradient(theta)
    return -1


def _saddle_grad(t):
    return np.array([2 * t[0], -2 * t[1]])


@mutant("saddles", "escape_time", "sign is flipped")
def _(x0, lr, radius, max_steps):
    return _escape(x0, lr, radius, max_steps, _saddle_grad, sign=-1.0)


@mutant("saddles", "escape_time", "gradient of x^2 - y^2 is (2x, -2y)")
def _(x0, lr, radius, max_steps):
    return _escape(x0, lr, radius, max_steps, lambda t: 2 * t)


@mutant("saddles", "escape_time", "off by one")
def _(x0, lr, radius, max_steps):
    theta = np.array(x0, dtype=float)
    for k in range(1, max_steps + 2):
        if np.linalg.norm(theta) > radius:
            return k
        theta = theta - lr * _saddle_grad(theta)
    return -1


@mutant("saddles", "escape_time", "return -1 when the run does not escape")
def _(x0, lr, radius, max_steps):
    k = _escape(x0, lr, radius, max_steps, _saddle_grad)
    return max_steps if k == -1 else k


@mutant("saddles", "escape_time", "check the position after the last step")
def _(x0, lr, radius, max_steps):
    return _escape(x0, lr, radius, max_steps, _saddle_grad, steps=max_steps)


# ---------------------------------------------------------------- 04 adaptive

@mutant("adaptive", "adagrad_step", "eps inside the sqrt")
def _(theta, grad, G, lr=0.01, eps=1e-10):
    G = G + grad ** 2
    return theta - lr * grad / np.sqrt(G + eps), G


@mutant("adaptive", "adagrad_step", "exponential average; Adagrad sums")
def _(theta, grad, G, lr=0.01, eps=1e-10):
    G = 0.9 * G + 0.1 * grad ** 2
    return theta - lr * grad / (np.sqrt(G) + eps), G


@mutant("adaptive", "adagrad_step", "square root is missing")
def _(theta, grad, G, lr=0.01, eps=1e-10):
    G = G + grad ** 2
    return theta - lr * grad / (G + eps), G


@mutant("adaptive", "adagrad_step", "use the updated sum")
def _(theta, grad, G, lr=0.01, eps=1e-10):
    theta_new = theta - lr * grad / (np.sqrt(G) + eps)
    return theta_new, G + grad ** 2


@mutant("adaptive", "adagrad_step", "modified the input array `G` in place")
def _(theta, grad, G, lr=0.01, eps=1e-10):
    G += grad ** 2
    return theta - lr * grad / (np.sqrt(G) + eps), G


@mutant("adaptive", "rmsprop_step", "summed instead of an exponential average")
def _(theta, grad, v, lr=0.01, alpha=0.99, eps=1e-8):
    v = v + grad ** 2
    return theta - lr * grad / (np.sqrt(v) + eps), v


@mutant("adaptive", "rmsprop_step", "alpha and 1 - alpha are swapped")
def _(theta, grad, v, lr=0.01, alpha=0.99, eps=1e-8):
    v = (1 - alpha) * v + alpha * grad ** 2
    return theta - lr * grad / (np.sqrt(v) + eps), v


@mutant("adaptive", "rmsprop_step", "eps inside the sqrt")
def _(theta, grad, v, lr=0.01, alpha=0.99, eps=1e-8):
    v = alpha * v + (1 - alpha) * grad ** 2
    return theta - lr * grad / np.sqrt(v + eps), v


@mutant("adaptive", "rmsprop_step", "modified the input array `theta` in place")
def _(theta, grad, v, lr=0.01, alpha=0.99, eps=1e-8):
    v = alpha * v + (1 - alpha) * grad ** 2
    theta -= lr * grad / (np.sqrt(v) + eps)
    return theta, v


def _moments(grad, m, v, beta1, beta2):
    return beta1 * m + (1 - beta1) * grad, beta2 * v + (1 - beta2) * grad ** 2


@mutant("adaptive", "adam_step", "missing bias correction")
def _(theta, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m, v = _moments(grad, m, v, beta1, beta2)
    return theta - lr * m / (np.sqrt(v) + eps), m, v


@mutant("adaptive", "adam_step", "eps inside the sqrt")
def _(theta, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m, v = _moments(grad, m, v, beta1, beta2)
    m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
    return theta - lr * m_hat / np.sqrt(v_hat + eps), m, v


@mutant("adaptive", "adam_step", "off by one in the bias correction")
def _(theta, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m, v = _moments(grad, m, v, beta1, beta2)
    m_hat, v_hat = m / (1 - beta1 ** (t + 1)), v / (1 - beta2 ** (t + 1))
    return theta - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


@mutant("adaptive", "adam_step", "return the raw moments")
def _(theta, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m, v = _moments(grad, m, v, beta1, beta2)
    m, v = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
    return theta - lr * m / (np.sqrt(v) + eps), m, v


@mutant("adaptive", "adam_step", "beta1 and beta2 are swapped")
def _(theta, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m, v = _moments(grad, m, v, beta2, beta1)
    m_hat, v_hat = m / (1 - beta2 ** t), v / (1 - beta1 ** t)
    return theta - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


@mutant("adaptive", "adam_step", "modified the input array `m` in place")
def _(theta, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m *= beta1
    m += (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad ** 2
    m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
    return theta - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def _adam(theta, grad, m, v, t, lr, beta1, beta2, eps):
    m, v = _moments(grad, m, v, beta1, beta2)
    m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
    return theta - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


@mutant("adaptive", "adamw_step", "Adam with L2")
def _(theta, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2):
    return _adam(theta, grad + weight_decay * theta, m, v, t, lr, beta1, beta2, eps)


@mutant("adaptive", "adamw_step", "learning rate is missing from the decay")
def _(theta, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2):
    return _adam(theta * (1 - weight_decay), grad, m, v, t, lr, beta1, beta2, eps)


@mutant("adaptive", "adamw_step", "before the Adam update")
def _(theta, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2):
    theta, m, v = _adam(theta, grad, m, v, t, lr, beta1, beta2, eps)
    return theta * (1 - lr * weight_decay), m, v


@mutant("adaptive", "adamw_step", "weight decay is missing")
def _(theta, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2):
    return _adam(theta, grad, m, v, t, lr, beta1, beta2, eps)


# ---------------------------------------------------------------- 05 torch.optim

@mutant("torch_optim", "training_step", "gradients are accumulating")
def _(model, optimizer, loss_fn, x, y):
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()


@mutant("torch_optim", "training_step", "parameters never changed")
def _(model, optimizer, loss_fn, x, y):
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.zero_grad()
    optimizer.step()
    return loss.item()


@mutant("torch_optim", "training_step", "parameters never changed")
def _(model, optimizer, loss_fn, x, y):
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    return loss.item()


@mutant("torch_optim", "training_step", "use .item()")
def _(model, optimizer, loss_fn, x, y):
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    return loss


@mutant("torch_optim", "training_step", "computed before the update")
def _(model, optimizer, loss_fn, x, y):
    optimizer.zero_grad()
    loss_fn(model(x), y).backward()
    optimizer.step()
    return loss_fn(model(x), y).item()


def _step(model, optimizer, loss_fn, x, y):
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()


@mutant("torch_optim", "train_epochs", "once per epoch, not once per batch")
def _(model, optimizer, scheduler, loss_fn, batches, epochs):
    lrs = []
    for _ in range(epochs):
        lrs.append(optimizer.param_groups[0]["lr"])
        for x, y in batches:
            _step(model, optimizer, loss_fn, x, y)
            scheduler.step()
    return lrs


@mutant("torch_optim", "train_epochs", "one epoch early")
def _(model, optimizer, scheduler, loss_fn, batches, epochs):
    lrs = []
    for _ in range(epochs):
        scheduler.step()
        lrs.append(optimizer.param_groups[0]["lr"])
        for x, y in batches:
            _step(model, optimizer, loss_fn, x, y)
    return lrs


@mutant("torch_optim", "train_epochs", "never changed")
def _(model, optimizer, scheduler, loss_fn, batches, epochs):
    lrs = []
    for _ in range(epochs):
        lrs.append(optimizer.param_groups[0]["lr"])
        for x, y in batches:
            _step(model, optimizer, loss_fn, x, y)
    return lrs


@mutant("torch_optim", "train_epochs", "at its start")
def _(model, optimizer, scheduler, loss_fn, batches, epochs):
    lrs = []
    for _ in range(epochs):
        for x, y in batches:
            _step(model, optimizer, loss_fn, x, y)
        scheduler.step()
        lrs.append(optimizer.param_groups[0]["lr"])
    return lrs


@mutant("torch_optim", "clipped_training_step", "were not clipped")
def _(model, optimizer, loss_fn, x, y, max_norm):
    optimizer.zero_grad()
    nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()


@mutant("torch_optim", "clipped_training_step", "were not clipped")
def _(model, optimizer, loss_fn, x, y, max_norm):
    loss = _step(model, optimizer, loss_fn, x, y)
    nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    return loss


@mutant("torch_optim", "clipped_training_step", "clip_grad_value_")
def _(model, optimizer, loss_fn, x, y, max_norm):
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    nn.utils.clip_grad_value_(model.parameters(), max_norm)
    optimizer.step()
    return loss.item()


@mutant("torch_optim", "clipped_training_step", "separately")
def _(model, optimizer, loss_fn, x, y, max_norm):
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    for p in model.parameters():
        nn.utils.clip_grad_norm_(p, max_norm)
    optimizer.step()
    return loss.item()


# ---------------------------------------------------------------- 06 MNIST

@mutant("mnist", "to_tensors", "divide by 255")
def _(images, labels):
    return (torch.from_numpy(images.reshape(len(images), -1).astype(np.float32)),
            torch.from_numpy(labels))


@mutant("mnist", "to_tensors", "not by the largest pixel")
def _(images, labels):
    x = images.reshape(len(images), -1).astype(np.float32)
    return torch.from_numpy(x / x.max()), torch.from_numpy(labels)


@mutant("mnist", "to_tensors", "flatten each image")
def _(images, labels):
    return torch.from_numpy(images.astype(np.float32) / 255), torch.from_numpy(labels)


@mutant("mnist", "to_tensors", "use float32")
def _(images, labels):
    return torch.from_numpy(images.reshape(len(images), -1) / 255.0), torch.from_numpy(labels)


@mutant("mnist", "to_tensors", "int64 labels")
def _(images, labels):
    x = torch.from_numpy(images.reshape(len(images), -1).astype(np.float32) / 255)
    return x, torch.from_numpy(labels.astype(np.int32))


def _epoch(model, optimizer, x, y, batch_size, order, zero_grad=True, drop_last=False):
    losses = []
    for start in range(0, len(x), batch_size):
        index = order[start:start + batch_size]
        if drop_last and len(index) < batch_size:
            break
        if zero_grad:
            optimizer.zero_grad()
        loss = F.cross_entropy(model(x[index]), y[index])
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


@mutant("mnist", "train_epoch", "not shuffled")
def _(model, optimizer, x, y, batch_size, generator):
    losses = _epoch(model, optimizer, x, y, batch_size, torch.arange(len(x)))
    return sum(losses) / len(losses)


@mutant("mnist", "train_epoch", "last, smaller batch is missing")
def _(model, optimizer, x, y, batch_size, generator):
    order = torch.randperm(len(x), generator=generator)
    losses = _epoch(model, optimizer, x, y, batch_size, order, drop_last=True)
    return sum(losses) / len(losses)


@mutant("mnist", "train_epoch", "gradients are accumulating")
def _(model, optimizer, x, y, batch_size, generator):
    order = torch.randperm(len(x), generator=generator)
    losses = _epoch(model, optimizer, x, y, batch_size, order, zero_grad=False)
    return sum(losses) / len(losses)


@mutant("mnist", "train_epoch", "not their sum")
def _(model, optimizer, x, y, batch_size, generator):
    order = torch.randperm(len(x), generator=generator)
    return sum(_epoch(model, optimizer, x, y, batch_size, order))


@mutant("mnist", "train_epoch", "not reproducible")
def _(model, optimizer, x, y, batch_size, generator):
    order = torch.randperm(len(x))  # the global generator
    losses = _epoch(model, optimizer, x, y, batch_size, order)
    return sum(losses) / len(losses)


@mutant("mnist", "accuracy", "not a count")
def _(model, x, y):
    with torch.no_grad():
        return (model(x).argmax(dim=1) == y).sum().item()


@mutant("mnist", "accuracy", "not a percentage")
def _(model, x, y):
    with torch.no_grad():
        return 100 * (model(x).argmax(dim=1) == y).float().mean().item()


@mutant("mnist", "accuracy", "use .item()")
def _(model, x, y):
    with torch.no_grad():
        return (model(x).argmax(dim=1) == y).float().mean()


def _sweep(make_model, x_train, y_train, x_val, y_val, lrs, epochs, batch_size, seed,
           *, once=False, shared_generator=False, record_train=False, momentum=0.9):
    results = {}
    torch.manual_seed(seed)
    model = make_model()
    generator = torch.Generator().manual_seed(seed)
    for lr in lrs:
        if not once:
            torch.manual_seed(seed)
            model = make_model()
        if not shared_generator:
            generator = torch.Generator().manual_seed(seed)
        optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
        losses = []
        for _ in range(epochs):
            order = torch.randperm(len(x_train), generator=generator)
            train = _epoch(model, optimizer, x_train, y_train, batch_size, order)
            if record_train:
                losses.append(sum(train) / len(train))
            else:
                with torch.no_grad():
                    losses.append(F.cross_entropy(model(x_val), y_val).item())
        results[lr] = losses
    return results


@mutant("mnist", "sweep_learning_rates", "same initial weights")
def _(*args):
    return _sweep(*args, once=True)


@mutant("mnist", "sweep_learning_rates", "fresh torch.Generator()")
def _(*args):
    return _sweep(*args, shared_generator=True)


@mutant("mnist", "sweep_learning_rates", "recorded the training loss")
def _(*args):
    return _sweep(*args, record_train=True)


@mutant("mnist", "sweep_learning_rates", "used no momentum")
def _(*args):
    return _sweep(*args, momentum=0.0)


@mutant("mnist", "sweep_learning_rates", "should return a dict")
def _(make_model, x_train, y_train, x_val, y_val, lrs, epochs, batch_size, seed):
    return [[] for _ in lrs]


@mutant("mnist", "choose_lr", "diverged run")
def _(val_losses):
    lrs = list(val_losses)
    return lrs[int(np.argmin([val_losses[lr][-1] for lr in lrs]))]


@mutant("mnist", "choose_lr", "final (last-epoch) losses")
def _(val_losses):
    best = {lr: min(v) for lr, v in val_losses.items() if all(map(math.isfinite, v))}
    return min(best, key=best.get)


@mutant("mnist", "choose_lr", "worst run")
def _(val_losses):
    finite = {lr: v[-1] for lr, v in val_losses.items() if math.isfinite(v[-1])}
    return max(finite, key=finite.get)


@mutant("mnist", "choose_lr", "not one of the learning rates")
def _(val_losses):
    finite = [v[-1] for v in val_losses.values() if math.isfinite(v[-1])]
    return min(finite)


@mutant("mnist", "choose_lr", "largest learning rate")
def _(val_losses):
    return max(lr for lr, v in val_losses.items() if math.isfinite(v[-1]))
