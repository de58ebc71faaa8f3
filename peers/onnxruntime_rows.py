"""onnxruntime CPU peer of the bench card's map, zip, reduce and softmax rows, on this machine.

performance.md names onnxruntime 1.32 (MLAS) the best peer for exp, softmax and log-softmax, and
several of issue 3's and issue 6's absolute goals come from its times on the reference machine.
This script times the same rows here: one single-operator ONNX model per row, f32, outputs bound
once through I/O binding (so no call allocates, as the card's reused outputs), median wall-clock
ms of repeated calls after warm-up, at 1 and 2 intra-op threads, printed in the card's format:
`PEER onnxruntime <op> <shape> <threads> <median_ms> ms`.

    pip install onnxruntime onnx numpy
    python3 peers/onnxruntime_rows.py [--threads 1 2] [--calls 50] [--rows exp softmax ...]
"""

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper

from peer_timing import median_ms, parser

N20 = 1 << 20
SQ = (1024, 1024)


def model(op, shapes, out_shape, **attrs):
    """A one-node model computing `op` on inputs of `shapes`."""
    names = [f"x{i}" for i in range(len(shapes))]
    inputs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in zip(names, shapes)]
    extra = []
    if op in ("ReduceSum", "ReduceMax"):
        # opset 18: the axes are an input.
        axes = helper.make_tensor("axes", TensorProto.INT64, [1], [attrs.pop("axis")])
        extra = [axes]
        names = names + ["axes"]
    node = helper.make_node(op, names, ["y"], **attrs)
    out = helper.make_tensor_value_info("y", TensorProto.FLOAT, out_shape)
    graph = helper.make_graph([node], op, inputs, [out], initializer=extra)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 20)])
    onnx.checker.check_model(m)
    return m.SerializeToString()


# name, card shape key, ONNX op, input shapes, output shape, attributes
ROWS = [
    ("relu", "n=1048576", "Relu", [(N20,)], (N20,), {}),
    ("sigmoid", "n=1048576", "Sigmoid", [(N20,)], (N20,), {}),
    ("exp", "n=1048576", "Exp", [(N20,)], (N20,), {}),
    ("tanh", "n=1048576", "Tanh", [(N20,)], (N20,), {}),
    ("gelu", "n=1048576", "Gelu", [(N20,)], (N20,), {"approximate": "tanh"}),
    ("add", "n=1048576", "Add", [(N20,), (N20,)], (N20,), {}),
    ("mul", "n=1048576", "Mul", [(N20,), (N20,)], (N20,), {}),
    ("reduce_sum", "1024x1024", "ReduceSum", [SQ], (1024, 1), {"axis": 1}),
    ("reduce_max", "1024x1024", "ReduceMax", [SQ], (1024, 1), {"axis": 1}),
    ("reduce_sum_dim0", "1024x1024", "ReduceSum", [SQ], (1, 1024), {"axis": 0}),
    ("reduce_max_dim0", "1024x1024", "ReduceMax", [SQ], (1, 1024), {"axis": 0}),
    ("softmax", "1024x1024", "Softmax", [SQ], SQ, {"axis": -1}),
    ("logsoftmax", "1024x1024", "LogSoftmax", [SQ], SQ, {"axis": -1}),
]


def main():
    p = parser(__doc__)
    p.add_argument("--rows", nargs="*", help="only these ops (default: all)")
    a = p.parse_args()
    rng = np.random.default_rng(1)
    print(f"onnxruntime {ort.__version__}")
    for threads in a.threads:
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        for name, key, op, shapes, out_shape, attrs in ROWS:
            if a.rows and name not in a.rows:
                continue
            sess = ort.InferenceSession(
                model(op, shapes, out_shape, **dict(attrs)), opts, providers=["CPUExecutionProvider"]
            )
            binding = sess.io_binding()
            for i, s in enumerate(shapes):
                x = rng.standard_normal(s, dtype=np.float32)
                binding.bind_ortvalue_input(f"x{i}", ort.OrtValue.ortvalue_from_numpy(x))
            y = ort.OrtValue.ortvalue_from_shape_and_type(list(out_shape), np.float32)
            binding.bind_ortvalue_output("y", y)
            ms = median_ms(lambda: sess.run_with_iobinding(binding), a.calls)
            print(f"PEER onnxruntime {name} {key} {threads} {ms:.4f} ms", flush=True)


if __name__ == "__main__":
    main()
