//! The op IR: an expression DAG over one lane, hash-consed so that equal subexpressions are one
//! node (common-subexpression elimination for free). `let` bindings only name nodes.
//!
//! Node ids are allocated in creation order and children are always created before their parents,
//! so increasing id order is a topological order: code generation walks it forward, the
//! differentiator walks it backward.

use std::collections::HashMap;

/// Index of a node in a [`Graph`].
pub type Id = u32;

/// Inputs of a graph: the op's parameters, then the upstream gradient and the saved output.
pub mod input {
    /// The first parameter (`x` of a map, `a` of a zip, `acc` of a reduce).
    pub const P0: u8 = 0;
    /// The second parameter (`b` of a zip, `x` of a reduce).
    pub const P1: u8 = 1;
    /// The upstream gradient `g` of a backward kernel.
    pub const GRAD: u8 = 2;
    /// The saved forward output `y` (`simd_backward_with_output`).
    pub const OUTPUT: u8 = 3;
}

/// Elementwise functions of one argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum Fn1 {
    Exp,
    Exp2,
    Ln,
    Log2,
    Log1p,
    Expm1,
    Sqrt,
    Rsqrt,
    Recip,
    Abs,
    Signum,
    Tanh,
    Sigmoid,
    Relu,
    Sin,
    Cos,
    Erf,
    Floor,
    Ceil,
    Round,
}

impl Fn1 {
    /// Every unary function, for tests and tables.
    #[cfg(test)]
    pub const ALL: [Fn1; 20] = [
        Fn1::Exp,
        Fn1::Exp2,
        Fn1::Ln,
        Fn1::Log2,
        Fn1::Log1p,
        Fn1::Expm1,
        Fn1::Sqrt,
        Fn1::Rsqrt,
        Fn1::Recip,
        Fn1::Abs,
        Fn1::Signum,
        Fn1::Tanh,
        Fn1::Sigmoid,
        Fn1::Relu,
        Fn1::Sin,
        Fn1::Cos,
        Fn1::Erf,
        Fn1::Floor,
        Fn1::Ceil,
        Fn1::Round,
    ];

    /// The name of the runtime function (`SimdElement::exp`, `ScalarMath::exp`, …).
    pub fn name(self) -> &'static str {
        match self {
            Fn1::Exp => "exp",
            Fn1::Exp2 => "exp2",
            Fn1::Ln => "ln",
            Fn1::Log2 => "log2",
            Fn1::Log1p => "log1p",
            Fn1::Expm1 => "expm1",
            Fn1::Sqrt => "sqrt",
            Fn1::Rsqrt => "rsqrt",
            Fn1::Recip => "recip",
            Fn1::Abs => "abs",
            Fn1::Signum => "signum",
            Fn1::Tanh => "tanh",
            Fn1::Sigmoid => "sigmoid",
            Fn1::Relu => "relu",
            Fn1::Sin => "sin",
            Fn1::Cos => "cos",
            Fn1::Erf => "erf",
            Fn1::Floor => "floor",
            Fn1::Ceil => "ceil",
            Fn1::Round => "round",
        }
    }
}

/// Elementwise functions of two arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum Fn2 {
    Max,
    Min,
    Powf,
}

impl Fn2 {
    /// The name of the runtime function.
    pub fn name(self) -> &'static str {
        match self {
            Fn2::Max => "max",
            Fn2::Min => "min",
            Fn2::Powf => "powf",
        }
    }
}

/// Comparison operators (they produce masks).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum CmpOp {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

impl CmpOp {
    /// The Rust operator.
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
        }
    }

    /// The `SimdElement` method.
    pub fn method(self) -> &'static str {
        match self {
            CmpOp::Lt => "lt",
            CmpOp::Le => "le",
            CmpOp::Gt => "gt",
            CmpOp::Ge => "ge",
            CmpOp::Eq => "eq",
            CmpOp::Ne => "ne",
        }
    }

    /// Evaluates the comparison with IEEE semantics (false on NaN except `!=`).
    pub fn eval<T: PartialOrd>(self, a: T, b: T) -> bool {
        match self {
            CmpOp::Lt => a < b,
            CmpOp::Le => a <= b,
            CmpOp::Gt => a > b,
            CmpOp::Ge => a >= b,
            CmpOp::Eq => a == b,
            CmpOp::Ne => a != b,
        }
    }
}

/// A call to another annotated op: `out` 0 is its value, 1 and 2 its derivative with respect to
/// the first and second argument. A map call has `arity == 1` and `b == a`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Call {
    /// Index into the expansion's table of called ops.
    pub op: u32,
    /// 1 for a map, 2 for a zip.
    pub arity: u8,
    /// First argument.
    pub a: Id,
    /// Second argument (`a` again for a map).
    pub b: Id,
    /// Which output of the op this node is.
    pub out: u8,
}

/// One node of the DAG. Value nodes are one lane of the element type; `Cmp`, `And`, `Or`, `Not`
/// and `Bool` are masks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum Node {
    Input(u8),
    /// A constant, as the bits of its `f64` value (emitted as `E::from_f64(value)`).
    Const(u64),
    Bool(bool),
    Add(Id, Id),
    Sub(Id, Id),
    Mul(Id, Id),
    Div(Id, Id),
    Neg(Id),
    F1(Fn1, Id),
    F2(Fn2, Id, Id),
    Powi(Id, i32),
    Clamp(Id, Id, Id),
    Cmp(CmpOp, Id, Id),
    And(Id, Id),
    Or(Id, Id),
    Not(Id),
    /// `if mask { then } else { else }`, both branches evaluated.
    Select(Id, Id, Id),
    Call(Call),
}

impl Node {
    /// The node's children, in operand order.
    pub fn children(&self) -> Vec<Id> {
        match *self {
            Node::Input(_) | Node::Const(_) | Node::Bool(_) => vec![],
            Node::Neg(a) | Node::F1(_, a) | Node::Powi(a, _) | Node::Not(a) => vec![a],
            Node::Add(a, b)
            | Node::Sub(a, b)
            | Node::Mul(a, b)
            | Node::Div(a, b)
            | Node::F2(_, a, b)
            | Node::Cmp(_, a, b)
            | Node::And(a, b)
            | Node::Or(a, b) => vec![a, b],
            Node::Clamp(a, b, c) | Node::Select(a, b, c) => vec![a, b, c],
            Node::Call(c) if c.arity == 1 => vec![c.a],
            Node::Call(c) => vec![c.a, c.b],
        }
    }

    /// The same node with every child id passed through `f`.
    pub fn map_children(self, mut f: impl FnMut(Id) -> Id) -> Node {
        match self {
            Node::Input(_) | Node::Const(_) | Node::Bool(_) => self,
            Node::Add(a, b) => Node::Add(f(a), f(b)),
            Node::Sub(a, b) => Node::Sub(f(a), f(b)),
            Node::Mul(a, b) => Node::Mul(f(a), f(b)),
            Node::Div(a, b) => Node::Div(f(a), f(b)),
            Node::Neg(a) => Node::Neg(f(a)),
            Node::F1(k, a) => Node::F1(k, f(a)),
            Node::F2(k, a, b) => Node::F2(k, f(a), f(b)),
            Node::Powi(a, n) => Node::Powi(f(a), n),
            Node::Clamp(a, b, c) => Node::Clamp(f(a), f(b), f(c)),
            Node::Cmp(k, a, b) => Node::Cmp(k, f(a), f(b)),
            Node::And(a, b) => Node::And(f(a), f(b)),
            Node::Or(a, b) => Node::Or(f(a), f(b)),
            Node::Not(a) => Node::Not(f(a)),
            Node::Select(m, a, b) => Node::Select(f(m), f(a), f(b)),
            Node::Call(c) => {
                let a = f(c.a);
                let b = if c.arity == 1 { a } else { f(c.b) };
                Node::Call(Call { a, b, ..c })
            }
        }
    }
}

/// A hash-consed expression DAG.
#[derive(Clone, Debug)]
pub struct Graph {
    nodes: Vec<Node>,
    index: HashMap<Node, Id>,
    /// Apply the rewrites of [`crate::simplify`] as nodes are added.
    pub simplify: bool,
}

impl Graph {
    /// An empty graph; `simplify` turns the algebraic rewrites on.
    pub fn new(simplify: bool) -> Self {
        Graph {
            nodes: Vec::new(),
            index: HashMap::new(),
            simplify,
        }
    }

    /// The node behind an id.
    pub fn node(&self, id: Id) -> Node {
        self.nodes[id as usize]
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// The constant value of a node, if it is a constant.
    pub fn const_value(&self, id: Id) -> Option<f64> {
        match self.node(id) {
            Node::Const(bits) => Some(f64::from_bits(bits)),
            _ => None,
        }
    }

    /// Adds a node (simplified first when enabled) and returns its id; an equal node already
    /// in the graph is shared.
    pub fn add(&mut self, node: Node) -> Id {
        let mut node = node;
        if self.simplify {
            // Each rewrite strictly shrinks the node or returns an existing id, so this ends.
            loop {
                match crate::simplify::rewrite(self, node) {
                    crate::simplify::Rewrite::Existing(id) => return id,
                    crate::simplify::Rewrite::Keep => break,
                    crate::simplify::Rewrite::Replace(n) => node = n,
                }
            }
        }
        self.intern(node)
    }

    fn intern(&mut self, node: Node) -> Id {
        if let Some(&id) = self.index.get(&node) {
            return id;
        }
        let id = self.nodes.len() as Id;
        self.nodes.push(node);
        self.index.insert(node, id);
        id
    }

    /// A constant node.
    pub fn constant(&mut self, v: f64) -> Id {
        self.add(Node::Const(v.to_bits()))
    }

    /// An input node.
    pub fn input(&mut self, i: u8) -> Id {
        self.add(Node::Input(i))
    }

    /// Marks which nodes are reachable from `roots`.
    pub fn reachable(&self, roots: &[Id]) -> Vec<bool> {
        let mut seen = vec![false; self.nodes.len()];
        let mut stack: Vec<Id> = roots.to_vec();
        while let Some(id) = stack.pop() {
            if std::mem::replace(&mut seen[id as usize], true) {
                continue;
            }
            stack.extend(self.node(id).children());
        }
        seen
    }

    /// Rebuilds the cones of `roots` with the node ids in `subst` replaced, re-simplifying on
    /// the way (used to substitute the saved output `y` for the root). Returns the new roots.
    pub fn substitute(&mut self, roots: &[Id], subst: &HashMap<Id, Id>) -> Vec<Id> {
        let live = self.reachable(roots);
        let mut map: HashMap<Id, Id> = HashMap::new();
        for id in 0..self.nodes.len() as Id {
            if !live[id as usize] {
                continue;
            }
            let new = match subst.get(&id) {
                Some(&to) => to,
                None => {
                    let node = self.node(id).map_children(|c| map[&c]);
                    self.add(node)
                }
            };
            map.insert(id, new);
        }
        roots.iter().map(|r| map[r]).collect()
    }
}
