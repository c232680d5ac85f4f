"""NumPy optimizers that reproduce torch.optim's update rules exactly.

Every optimizer is a small object holding only its hyperparameters; the
changing part, the state, travels separately in a dict, as in optax or the
CS231n assignments:

    opt = Adam(lr=0.1)                   # torch.optim's names and defaults
    state = opt.init(x0)                 # {'step': 0, 'exp_avg': ..., ...}
    for _ in range(100):
        x, state = opt.step(x, grad(x), state)

- x has shape (..., d): one point or many. step() is pure: it never modifies
  x, g or the state's arrays, and returns a new x and a new state dict. The
  state's array names are torch's (momentum_buffer, exp_avg, ...); 'step' is
  the number of steps taken.
- Hyperparameters may be NumPy arrays that broadcast against x, to sweep a
  whole grid in one call: with lr of shape (100, 1, 1), momentum of shape
  (1, 100, 1) and x0 of shape (2,), init(x0) and every step work on shape
  (100, 100, 2) = opt.batch_shape(x0.shape).
- Invalid hyperparameters raise ValueError with torch's messages. Beyond
  torch: lr must be > 0, every hyperparameter finite, arrays are checked
  elementwise. A NaN or inf gradient never raises (and never warns): the
  numbers just propagate, and the runner reports the divergence.
- To change a hyperparameter mid-run, make a new optimizer
  (opt.replace(lr=0.01)) and keep passing the same state.

Modules: base (shared machinery), sgd, adaptive (Adagrad, RMSprop, Adadelta),
adam (Adam, AdamW, NAdam, RAdam, Adamax), textbook (HeavyBall, EMAMomentum,
NesterovLookahead, with their exact relation to torch's SGD).
"""
from course_utils.optimizers.adam import Adam, Adamax, AdamW, NAdam, RAdam
from course_utils.optimizers.adaptive import Adadelta, Adagrad, RMSprop
from course_utils.optimizers.base import Optimizer
from course_utils.optimizers.sgd import SGD
from course_utils.optimizers.textbook import EMAMomentum, HeavyBall, NesterovLookahead

__all__ = ["SGD", "Adagrad", "RMSprop", "Adam", "AdamW", "NAdam", "RAdam", "Adadelta",
           "Adamax", "HeavyBall", "EMAMomentum", "NesterovLookahead", "Optimizer"]
