"""Reading a submission's code before grading it: what does each answer use?

The grader (course_utils/grader.py) parses every code cell of a submission in
its own process, without running anything, and reports

- per exercise: an answer that reaches a library doing the exercise's work,
  e.g. "uses torch.optim.Adam: write the update yourself" where the rule is to
  be written by hand, or course_utils.theory.gd_rate anywhere;
- per notebook: code that reaches into the checker or the kernel rather than
  answering: the checks' private references, IPython's hooks
  (set_custom_exc, input transformers, events), code built at run time (exec,
  eval, __import__, dynamic getattr, __dict__), new processes and signal
  handlers, and monkeypatching of course_utils, the standard library or NumPy.

Names are followed through imports, aliases (`o = torch.optim`), calls
(`opt = torch.optim.Adam(...)`) and helper functions defined in other cells.
This is static reading, so code that hides what it calls (an encoded string
handed to a deserialiser, say) can slip past it; README.md's section on
assessed work says so.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field

#: Modules whose use in a graded notebook means something other than an answer.
PROCESS_MODULES = ("subprocess", "multiprocessing", "threading", "signal", "atexit", "pty",
                   "ctypes", "concurrent", "_thread", "asyncio")
DYNAMIC_MODULES = ("importlib", "builtins", "inspect", "gc", "runpy", "marshal", "pickle",
                   "dill", "cloudpickle", "types", "code", "codeop", "pydoc")
DYNAMIC_ORIGINS = ("operator.attrgetter", "operator.methodcaller", "functools.reduce")
DYNAMIC_CALLS = ("exec", "eval", "compile", "__import__", "globals", "vars", "setattr",
                 "delattr", "breakpoint")
PRIVATE_ATTRIBUTES = ("__dict__", "__code__", "__globals__", "__builtins__", "__subclasses__",
                      "__closure__", "__defaults__", "__kwdefaults__", "__bases__", "__mro__",
                      "__getattribute__", "__loader__", "__spec__", "__import__", "__self__",
                      "__func__", "__wrapped__", "f_globals", "f_locals", "f_back", "gi_frame")
SYS_ATTRIBUTES = ("modules", "settrace", "setprofile", "_getframe", "excepthook", "displayhook",
                  "meta_path", "path_hooks", "path", "addaudithook")
OS_ATTRIBUTES = ("system", "popen", "fork", "forkpty", "kill", "killpg", "mkfifo", "setsid",
                 "execv", "execve", "execl", "execlp", "execvp", "execvpe", "spawnl", "spawnv",
                 "spawnve", "posix_spawn", "posix_spawnp", "startfile")
#: IPython magics a graded notebook may use (others can run files or change the shell).
MAGICS = ("matplotlib", "time", "timeit", "precision", "pprint", "who", "whos")
#: Assigning to attributes of these is monkeypatching.
PROTECTED = ("course_utils", "builtins", "sys", "os", "json", "io", "types", "IPython",
             "ipykernel", "numpy", "torch", "math", "functools")
LIBRARY_ALLOWED = ("course_utils.data", "course_utils.checks")
BY_HAND_FORBIDDEN = ("torch.optim",)


@dataclass
class Finding:
    cell: int            # index among the notebook's cells
    message: str


@dataclass
class Scan:
    """What the grader needs to know about a submission's code."""

    notebook: list = field(default_factory=list)     # [Finding]: not graded at all
    uses: dict = field(default_factory=dict)         # exercise -> [library origins reached]
    definitions: dict = field(default_factory=dict)  # name -> [cell indices binding it]

    def library_hint(self, exercise: str, by_hand: bool) -> str | None:
        """'uses torch.optim.Adam: write the update yourself', or None."""
        for origin in self.uses.get(exercise, ()):
            named = ".".join(origin.split(".")[:3])  # module and name: torch.optim.Adam
            optimizer = origin.startswith(("torch.optim", "course_utils.optimizers"))
            fix = "write the update yourself" if optimizer else f"write {exercise} yourself"
            if origin.startswith("course_utils.") or (by_hand and origin.startswith(BY_HAND_FORBIDDEN)):
                return f"uses {named}: {fix}"
        return None


def _transform(source: str) -> str:
    """IPython syntax (%magics, !shell) as the Python the kernel would run."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:
        return source
    return TransformerManager().transform_cell(source)


def _reaches_library(origin) -> bool:
    """A library name an answer must not lean on (in by-hand exercises: torch.optim)."""
    return bool(origin) and not origin.startswith(LIBRARY_ALLOWED) and (
        origin.startswith("course_utils.") or origin.startswith(BY_HAND_FORBIDDEN))


def _constant_string(node):
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


class _Reader:
    def __init__(self, exercises, checks_topics):
        self.aliases = {"get_ipython": "IPython.get_ipython"}
        self.instances = set()  # names bound to objects a library call returned
        self.flagged_roots = set()
        self.called = set()  # ids of the nodes called as functions
        self.exercises = set(exercises)          # public check names
        self.topics = set(checks_topics)
        self.scan = Scan()

    # ------------------------------------------------------------ names

    def origin(self, node):
        """The dotted library name an expression stands for, or None."""
        if isinstance(node, ast.Name):
            return self.aliases.get(node.id)
        if isinstance(node, ast.Attribute):
            base = self.origin(node.value)
            return f"{base}.{node.attr}" if base else None
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name) and node.func.id == "getattr" and \
                    len(node.args) >= 2 and _constant_string(node.args[1]) is not None:
                base = self.origin(node.args[0])
                return f"{base}.{node.args[1].value}" if base else None
            return self.origin(node.func)
        if isinstance(node, (ast.Subscript, ast.Starred)):
            return self.origin(node.value)
        return None

    def bind_imports(self, tree):
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        self.aliases[alias.asname] = alias.name
                    else:
                        root = alias.name.split(".")[0]
                        self.aliases[root] = root
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for alias in node.names:
                    if alias.name != "*":
                        self.aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
            elif isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
                origin = self.origin(node.value)
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Name) and origin:
                        self.aliases[target.id] = origin
                        if isinstance(node.value, ast.Call):  # an object, not a module
                            self.instances.add(target.id)

    def _on_an_object(self, node) -> bool:
        """Is this attribute set on an object (p.grad = ...) rather than on a module?"""
        while isinstance(node, ast.Attribute):
            node = node.value
        return isinstance(node, ast.Call) or (isinstance(node, ast.Name)
                                               and node.id in self.instances)

    # ------------------------------------------------------------ findings

    def judge_origin(self, origin: str):
        """A notebook-level finding for a library name, or None."""
        parts = origin.split(".")
        root = parts[0]
        if root in PROCESS_MODULES:
            return f"starts processes or handlers ({origin}), which graded notebooks must not do"
        if root in DYNAMIC_MODULES or origin in DYNAMIC_ORIGINS:
            return f"uses {origin}, which can change code at run time"
        if origin.startswith("sys.path"):
            return ("changes sys.path, which could import another course_utils: the grader "
                    "provides the course's own, so remove this line")
        if root == "sys" and len(parts) > 1 and parts[1] in SYS_ATTRIBUTES:
            return f"uses {origin}, which changes the interpreter"
        if root == "os" and len(parts) > 1 and parts[1] in OS_ATTRIBUTES:
            return f"uses {origin}, which starts processes or special files"
        if root in ("IPython", "ipykernel"):
            if origin.startswith("IPython.display") or origin in (
                    "IPython.get_ipython", "IPython.get_ipython.run_line_magic",
                    "IPython.get_ipython.run_cell_magic"):
                return None
            return f"reconfigures the kernel ({origin.replace('IPython.get_ipython', 'get_ipython()')})"
        if origin.startswith("course_utils.checks"):
            rest = parts[2:]
            if not rest or (len(rest) == 1 and rest[0] in self.topics) or \
                    (len(rest) == 2 and rest[0] in self.topics and rest[1] in self.exercises):
                return None
            return f"reaches into the checker ({origin}): write the answers yourself"
        return None

    def read_cell(self, index, tree):
        for node in ast.walk(tree):
            self._node(index, node)

    def _flag(self, index, message):
        if all(f.message != message or f.cell != index for f in self.scan.notebook):
            self.scan.notebook.append(Finding(index, message))

    def _node(self, index, node):
        if isinstance(node, ast.Import):
            for alias in node.names:
                message = self.judge_origin(alias.name)
                if message:
                    self._flag(index, message)
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if module.startswith("course_utils") and any(a.name == "*" for a in node.names):
                self._flag(index, f"imports * from {module}: import the names you use")
            for alias in node.names:
                message = self.judge_origin(f"{module}.{alias.name}" if alias.name != "*"
                                            else module)
                if message:
                    self._flag(index, message)
        elif isinstance(node, (ast.Attribute, ast.Name, ast.Call)):
            if isinstance(node, ast.Attribute) and node.attr in PRIVATE_ATTRIBUTES:
                self._flag(index, f"reaches into Python's internals (.{node.attr})")
            if isinstance(node, ast.Name) and node.id == "__builtins__":
                self._flag(index, "reaches into Python's internals (__builtins__)")
            if isinstance(node, ast.Name) and node.id in DYNAMIC_CALLS + ("getattr",) and \
                    id(node) not in self.called:
                self._flag(index, f"passes {node.id} around as a value, which hides what "
                                  "it looks up")
            if isinstance(node, ast.Call):
                self.called.add(id(node.func))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                if node.func.id in DYNAMIC_CALLS:
                    self._flag(index, f"builds or rebinds code at run time ({node.func.id})")
                if node.func.id == "getattr" and (len(node.args) < 2 or
                                                  _constant_string(node.args[1]) is None):
                    self._flag(index, "looks attributes up by computed names (getattr)")
            if isinstance(node, ast.Call) and self.origin(node.func) in (
                    "IPython.get_ipython.run_line_magic", "IPython.get_ipython.run_cell_magic"):
                magic = _constant_string(node.args[0]) if node.args else None
                if magic not in MAGICS:
                    self._flag(index, f"runs the IPython magic %{magic}, which graded "
                                      "notebooks must not use")
            origin = self.origin(node)
            if origin and (index, origin.split(".")[0]) not in self.flagged_roots:
                message = self.judge_origin(origin)
                if message:  # one report per library and cell: os, not os.mkfifo and os
                    self.flagged_roots.add((index, origin.split(".")[0]))
                    self._flag(index, message)
        elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
            targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
            for target in targets:
                if isinstance(target, ast.Attribute) and not self._on_an_object(target):
                    origin = self.origin(target)
                    if origin and origin.split(".")[0] in PROTECTED and \
                            not origin.startswith("torch.backends"):
                        self._flag(index, f"monkeypatches {origin}")
                if isinstance(target, ast.Name) and target.id == "checks" and \
                        self.origin(getattr(node, "value", None) or target) != "course_utils.checks":
                    self._flag(index, "replaces the course's `checks` with something else")
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)) and \
                node.name == "checks":
            self._flag(index, "replaces the course's `checks` with something else")

    # ------------------------------------------------------------ what each answer reaches

    def library_uses(self, trees):
        """{top-level name: library origins it reaches}, through helpers, to a fixpoint."""
        direct, calls = {}, {}
        for index, tree in trees:
            for node in tree.body:
                names = []
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    for alias in node.names:
                        name = alias.asname or alias.name.split(".")[0]
                        self.scan.definitions.setdefault(name, []).append(index)
                        origin = self.aliases.get(name, "")
                        if _reaches_library(origin):
                            direct.setdefault(name, set()).add(origin)
                            calls.setdefault(name, set())
                    continue
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    names = [node.name]
                elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    names = [t.id for t in targets if isinstance(t, ast.Name)]
                for name in names:
                    self.scan.definitions.setdefault(name, []).append(index)
                    found, used = direct.setdefault(name, set()), calls.setdefault(name, set())
                    for child in ast.walk(node):
                        origin = self.origin(child) if isinstance(
                            child, (ast.Name, ast.Attribute)) else None
                        if _reaches_library(origin):
                            found.add(origin)
                        if isinstance(child, ast.Name) and child.id != name:
                            used.add(child.id)
        reached = {name: set(found) for name, found in direct.items()}
        changed = True
        while changed:
            changed = False
            for name, used in calls.items():
                extra = set().union(*(reached.get(u, set()) for u in used)) - reached[name]
                if extra:
                    reached[name] |= extra
                    changed = True
        return reached


def scan(cells, exercises, topics) -> Scan:
    """Read `cells` [(index, source)] of one submission (check cells left out).

    `exercises` are the public check names of the course, `topics` its check
    modules; the result lists notebook-level findings, the library origins each
    top-level name reaches, and where each name is defined.
    """
    reader = _Reader(exercises, topics)
    trees = []
    for index, source in cells:
        try:
            trees.append((index, ast.parse(_transform(source))))
        except SyntaxError:
            continue  # the kernel reports it when the cell runs
    for _, tree in trees:
        reader.bind_imports(tree)
    for index, tree in trees:
        reader.read_cell(index, tree)
    reached = reader.library_uses(trees)
    reader.scan.uses = {name: sorted(origins, key=lambda o: (-min(o.count("."), 2), o))
                        for name, origins in reached.items() if origins}
    return reader.scan
