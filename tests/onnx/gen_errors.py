"""tests/onnx/gen_errors.py: broken and unsupported ONNX models for run.py's
error cases. make(dir) writes them and returns (name, file, extra options);
the expected exit status and stderr are in tests/onnx/errors/NAME.expect."""
import os
import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto as T


def model(nodes, inputs, outputs, inits=(), opset=13):
    g = helper.make_graph(nodes, "g", inputs, outputs, list(inits))
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])


def vi(name, shape, t=T.FLOAT):
    return helper.make_tensor_value_info(name, t, shape)


def conv_model():
    w = numpy_helper.from_array(np.ones((2, 1, 3, 3), np.float32), "c.weight")
    return model([helper.make_node("Conv", ["x", "c.weight"], ["y"], name="c", pads=[1, 1, 1, 1])],
                 [vi("x", ["N", 1, 4, 4])], [vi("y", ["N", 2, 4, 4])], [w])


def make(d):
    cases = []

    def save(name, m, extra=(), raw=None):
        f = name + ".onnx"
        if raw is None:
            raw = m.SerializeToString()
        open(os.path.join(d, f), "wb").write(raw)
        cases.append((name, f, list(extra)))

    # every unsupported node in one run, named or by position
    save("unsupported_ops", model([helper.make_node("LpPool", ["x"], ["a"], name="lp", kernel_shape=[1, 1]),
                                   helper.make_node("Relu", ["a"], ["b"]),
                                   helper.make_node("Hardmax", ["b"], ["y"])],
                                  [vi("x", ["N", 3, 4, 4])], [vi("y", ["N", 3, 4, 4])]))
    # nearest Resize of opset 10 enlarging one axis and shrinking another (ONNX Runtime rounds them differently)
    save("resize10_mixed", model([helper.make_node("Resize", ["x", "sc"], ["y"], name="mixed", mode="nearest")],
                                 [vi("x", ["N", 2, 4, 4])], [vi("y", ["N", 2, 8, 2])],
                                 [numpy_helper.from_array(np.array([1, 1, 2, 0.5], np.float32), "sc")], opset=10))
    # If: a condition from data, an unsupported node in the branch taken, a branch of two
    # outputs for the node's one
    def branch(nodes, outs):
        return helper.make_graph(nodes, "b", [], [vi(o, None) for o in outs])
    ident = branch([helper.make_node("Identity", ["x"], ["i1"])], ["i1"])
    save("if_branches", model([helper.make_node("If", ["x"], ["a"], name="if_data", then_branch=ident, else_branch=ident),
                               helper.make_node("If", ["yes"], ["b"], name="if_bad_branch",
                                                then_branch=branch([helper.make_node("LpPool", ["x"], ["l1"], name="inner_lp",
                                                                                     kernel_shape=[1, 1])], ["l1"]),
                                                else_branch=branch([helper.make_node("Identity", ["x"], ["i2"])], ["i2"])),
                               helper.make_node("If", ["no"], ["c"], name="if_outputs",
                                                then_branch=branch([helper.make_node("Identity", ["x"], ["i3"])], ["i3"]),
                                                else_branch=branch([helper.make_node("Identity", ["x"], ["i4"]),
                                                                    helper.make_node("Identity", ["x"], ["i5"])], ["i4", "i5"])),
                               helper.make_node("Sum", ["a", "b", "c"], ["y"])],
                              [vi("x", ["N", 2, 4, 4])], [vi("y", ["N", 2, 4, 4])],
                              [numpy_helper.from_array(np.array(True), "yes"), numpy_helper.from_array(np.array(False), "no")]))
    # LRN of an even size (its window is not PyTorch's), without a size, of a vector
    save("lrn_sizes", model([helper.make_node("LRN", ["x"], ["a"], name="even", size=4),
                             helper.make_node("LRN", ["x"], ["b"], name="no_size"),
                             helper.make_node("Flatten", ["x"], ["f"]),
                             helper.make_node("LRN", ["f"], ["c"], name="vector", size=3),
                             helper.make_node("Sum", ["a", "b"], ["d"]),
                             helper.make_node("Flatten", ["d"], ["e"]),
                             helper.make_node("Add", ["e", "c"], ["y"])],
                            [vi("x", ["N", 3, 4, 4])], [vi("y", ["N", 48])]))
    # MatMul: K not fitting (a constant, two computed tensors), empty constants,
    # products that would mix the samples (a sample a row; data of different
    # ranks; a constant that varies along the batch axis or has more axes),
    # leading axes that do not broadcast, an empty constant, a sample a number
    mats = [numpy_helper.from_array(np.ones((3, 5), np.float32), "a35"),
            numpy_helper.from_array(np.ones((0, 8), np.float32), "a08"),
            numpy_helper.from_array(np.ones((4, 0), np.float32), "b40"),
            numpy_helper.from_array(np.ones((2, 4, 3), np.float32), "c243"),
            numpy_helper.from_array(np.ones((1, 1, 2, 4, 4), np.float32), "c11244"),
            numpy_helper.from_array(np.ones((3, 4, 4), np.float32), "c344"),
            numpy_helper.from_array(np.ones((1, 4, 0), np.float32), "c140"),
            numpy_helper.from_array(np.ones((32,), np.float32), "v32")]
    save("matmul_shapes", model([helper.make_node("Reshape", ["x", "flat"], ["f"], name="flat"),
                                 helper.make_node("MatMul", ["a35", "f"], ["b"], name="k_mismatch"),
                                 helper.make_node("MatMul", ["f", "f"], ["c"], name="two_computed"),
                                 helper.make_node("MatMul", ["a08", "f"], ["g"], name="no_rows"),
                                 helper.make_node("MatMul", ["f", "b40"], ["h"], name="no_columns"),
                                 helper.make_node("Flatten", ["x"], ["v"], name="vector"),
                                 helper.make_node("MatMul", ["v", "f"], ["j"], name="sample_rows"),
                                 helper.make_node("MatMul", ["x", "f"], ["k"], name="ranks"),
                                 helper.make_node("MatMul", ["f", "c243"], ["l"], name="batch_varies"),
                                 helper.make_node("MatMul", ["x", "c11244"], ["o"], name="more_axes"),
                                 helper.make_node("MatMul", ["x", "c344"], ["p"], name="leading"),
                                 helper.make_node("MatMul", ["f", "c140"], ["q"], name="empty"),
                                 helper.make_node("MatMul", ["v", "v32"], ["r"], name="dot"),
                                 helper.make_node("Sum", ["g", "h", "j", "k", "l", "o", "p", "q", "r"], ["i"]),
                                 helper.make_node("Add", ["b", "c"], ["y"])],
                                [vi("x", ["N", 2, 4, 4])], [vi("y", ["N", 3, 4])],
                                mats + [numpy_helper.from_array(np.array([0, 8, 4], np.int64), "flat")]))
    # a value whose batch axis a Transpose moved: read by another operator
    # (a constant added, x * sigmoid(x) with the sigmoid's batch axis moved),
    # split or gathered along the batch axis, a model output (moved_output);
    # transposing it back first is no error
    save("moved_batch", model([helper.make_node("Transpose", ["x"], ["t"], name="move", perm=[1, 0, 2]),
                               helper.make_node("Relu", ["t"], ["r"], name="relu"),
                               helper.make_node("Split", ["t"], ["s1", "s2"], name="split", axis=1),
                               helper.make_node("Gather", ["t", "i0"], ["g"], name="gather", axis=1),
                               helper.make_node("Add", ["t", "c6"], ["a"], name="add_constant"),
                               helper.make_node("Sigmoid", ["x"], ["sg"], name="sigmoid"),
                               helper.make_node("Transpose", ["sg"], ["st"], name="move_sigmoid", perm=[1, 0, 2]),
                               helper.make_node("Mul", ["x", "st"], ["silu"], name="silu_across"),
                               helper.make_node("Transpose", ["t"], ["u"], name="back", perm=[1, 0, 2]),
                               helper.make_node("Add", ["u", "x"], ["y"], name="add")],
                              [vi("x", ["N", 4, 6])], [vi("y", ["N", 4, 6]), vi("t", [4, "N", 6])],
                              [numpy_helper.from_array(np.array(0, np.int64), "i0"),
                               numpy_helper.from_array(np.arange(6, dtype=np.float32), "c6")]))
    # the batch size as a value: x * x.shape[0], cast to float and as it is
    save("batch_value", model([helper.make_node("Shape", ["x"], ["s"]),
                               helper.make_node("Gather", ["s", "i0"], ["n"]),
                               helper.make_node("Cast", ["n"], ["nf"], to=T.FLOAT),
                               helper.make_node("Mul", ["x", "nf"], ["a"], name="times_batch"),
                               helper.make_node("Div", ["nf", "x"], ["b"], name="batch_over"),
                               helper.make_node("Add", ["a", "b"], ["y"])],
                              [vi("x", ["N", 4])], [vi("y", ["N", 4])],
                              [numpy_helper.from_array(np.array(0, np.int64), "i0")]))
    save("moved_output", model([helper.make_node("Transpose", ["x"], ["t"], name="move", perm=[1, 0, 2])],
                               [vi("x", ["N", 4, 6])], [vi("t", [4, "N", 6])]))
    m = conv_model()
    m.graph.node[0].attribute.append(helper.make_attribute("auto_pad", "SAME_SIDEWAYS"))
    save("attribute_value", m)
    # an attribute given twice (which of the two counts is not defined)
    m = conv_model()
    m.graph.node[0].attribute.append(helper.make_attribute("pads", [0, 0, 0, 0]))
    save("attribute_twice", m)
    # auto_pad other than NOTSET with pads (ONNX: not together), of Conv, the pools and
    # ConvTranspose; NOTSET with pads is no error
    w2 = numpy_helper.from_array(np.ones((2, 2, 3, 3), np.float32), "w2")
    save("auto_pad_pads", model([helper.make_node("Conv", ["x", "w2"], ["a"], name="same_upper", auto_pad="SAME_UPPER",
                                                  pads=[1, 1, 1, 1]),
                                 helper.make_node("MaxPool", ["x"], ["b"], name="valid", kernel_shape=[3, 3],
                                                  auto_pad="VALID", pads=[0, 0, 0, 0]),
                                 helper.make_node("AveragePool", ["x"], ["c"], name="same_lower", kernel_shape=[3, 3],
                                                  auto_pad="SAME_LOWER", pads=[1, 1, 1, 1]),
                                 helper.make_node("ConvTranspose", ["x", "w2"], ["d"], name="transposed",
                                                  auto_pad="SAME_UPPER", pads=[1, 1, 1, 1]),
                                 helper.make_node("Conv", ["x", "w2"], ["e"], name="notset", auto_pad="NOTSET",
                                                  pads=[1, 1, 1, 1]),
                                 helper.make_node("Sum", ["a", "b", "c", "d", "e"], ["y"])],
                                [vi("x", ["N", 2, 4, 4])], [vi("y", ["N", 2, 4, 4])], [w2]))
    # a bias that is not [M]: of Conv and ConvTranspose
    save("conv_bias_shape", model([helper.make_node("Conv", ["x", "w2", "b21"], ["a"], name="conv", pads=[1, 1, 1, 1]),
                                   helper.make_node("ConvTranspose", ["x", "w2", "b12"], ["b"], name="transposed",
                                                    pads=[1, 1, 1, 1]),
                                   helper.make_node("Add", ["a", "b"], ["y"])],
                                  [vi("x", ["N", 2, 4, 4])], [vi("y", ["N", 2, 4, 4])],
                                  [w2, numpy_helper.from_array(np.zeros((2, 1), np.float32), "b21"),
                                   numpy_helper.from_array(np.zeros((1, 2), np.float32), "b12")]))
    # Concat without an axis, required from opset 4: of data, of constants
    save("concat_axis", model([helper.make_node("Concat", ["x", "x"], ["y"], name="data"),
                               helper.make_node("Concat", ["i2", "i2"], ["c"], name="constants")],
                              [vi("x", ["N", 2, 4])], [vi("y", ["N", 4, 4])],
                              [numpy_helper.from_array(np.array([1, 2], np.int64), "i2")]))
    save("truncated", None, raw=conv_model().SerializeToString()[:-20])
    save("not_onnx", None, raw=b"network n { input x[1]; }\n")
    save("cycle", model([helper.make_node("Relu", ["x2"], ["x1"], name="r1"),
                         helper.make_node("Relu", ["x1"], ["x2"], name="r2"),
                         helper.make_node("Add", ["x", "x2"], ["y"], name="a")],
                        [vi("x", ["N", 4])], [vi("y", ["N", 4])]))
    save("two_producers", model([helper.make_node("Relu", ["x"], ["y"], name="r"),
                                 helper.make_node("Sigmoid", ["x"], ["y"])],
                                [vi("x", ["N", 4])], [vi("y", ["N", 4])]))
    # local functions: one defined twice, one called with more inputs than it has
    def with_functions(nodes, fns):
        m = model(nodes, [vi("x", ["N", 4])], [vi("y", ["N", 4])])
        m.opset_import.append(helper.make_opsetid("local", 1))
        m.functions.extend(fns)
        return m
    relu_fn = helper.make_function("local", "F", ["a"], ["b"], [helper.make_node("Relu", ["a"], ["b"])],
                                   [helper.make_opsetid("", 13)])
    save("function_twice", with_functions([helper.make_node("F", ["x"], ["y"], name="f", domain="local")],
                                          [relu_fn, relu_fn]))
    save("function_inputs", with_functions([helper.make_node("F", ["x", "x"], ["y"], name="f", domain="local")],
                                           [relu_fn]))
    # a call of a local function with an attribute given twice: which one the
    # function's reference takes is not defined
    leaky_fn = helper.make_function("local", "L", ["a"], ["b"], [helper.make_node("LeakyRelu", ["a"], ["b"])],
                                    [helper.make_opsetid("", 13)], attributes=["alpha"])
    ref = helper.AttributeProto()
    ref.name, ref.ref_attr_name, ref.type = "alpha", "alpha", helper.AttributeProto.FLOAT
    leaky_fn.node[0].attribute.append(ref)
    call = helper.make_node("L", ["x"], ["y"], name="f", domain="local", alpha=0.1)
    call.attribute.append(helper.make_attribute("alpha", 0.2))
    save("function_attribute_twice", with_functions([call], [leaky_fn]))
    save("output_shadows", model([helper.make_node("Relu", ["x"], ["w"], name="r"),
                                  helper.make_node("Add", ["x", "w"], ["y"], name="a")],
                                 [vi("x", ["N", 4])], [vi("y", ["N", 4])],
                                 [numpy_helper.from_array(np.ones(4, np.float32), "w")]))
    save("missing_tensor", model([helper.make_node("Relu", ["nowhere"], ["y"], name="r")],
                                 [vi("x", ["N", 4])], [vi("y", ["N", 4])]))
    m = conv_model()
    m.graph.initializer[0].ClearField("raw_data")
    m.graph.initializer[0].float_data.extend([1.0] * 17)
    save("initializer_count", m)
    save("int_input", model([helper.make_node("Relu", ["x"], ["y"])], [vi("x", ["N", 4], T.INT64)],
                            [vi("y", ["N", 4], T.INT64)]))
    save("symbolic_shape", model([helper.make_node("Relu", ["x"], ["y"])], [vi("x", ["N", "C", 8])],
                                 [vi("y", ["N", "C", 8])]))
    save("input_shape_rank", model([helper.make_node("Relu", ["x"], ["y"])], [vi("x", ["N", "C", 8])],
                                    [vi("y", ["N", "C", 8])]), ["--input-shape", "3"])
    save("two_inputs", model([helper.make_node("Add", ["x", "z"], ["y"])], [vi("x", ["N", 4]), vi("z", ["N", 4])],
                             [vi("y", ["N", 4])]))
    save("batch_axis", model([helper.make_node("Softmax", ["x"], ["y"], axis=0)], [vi("x", ["N", 4])],
                             [vi("y", ["N", 4])]))
    # Gather from data: computed indices, indices of the batch size, the batch axis, out of
    # range, a matrix of indices
    save("gather_data", model([helper.make_node("Gather", ["x", "x"], ["a"], name="computed", axis=1),
                               helper.make_node("Shape", ["x"], ["s"]),
                               helper.make_node("Gather", ["x", "s"], ["a2"], name="batch_size", axis=1),
                               helper.make_node("Gather", ["x", "i0"], ["b"], name="batch", axis=0),
                               helper.make_node("Gather", ["x", "i9"], ["c"], name="range", axis=2),
                               helper.make_node("Gather", ["x", "i22"], ["y"], name="matrix", axis=1)],
                              [vi("x", ["N", 2, 4])], [vi("y", ["N", 2, 2, 4])],
                              [numpy_helper.from_array(np.array(0, np.int64), "i0"),
                               numpy_helper.from_array(np.array([1, -5], np.int64), "i9"),
                               numpy_helper.from_array(np.zeros((2, 2), np.int64), "i22")]))
    save("weights_option", conv_model(), ["--weights", "w.safetensors"])
    # a model exported in train(): BatchNormalization of batch statistics, by its outputs
    # before opset 14 and by training_mode after; Dropout that drops
    bn = [numpy_helper.from_array(np.full(2, v, np.float32), k)
          for k, v in (("s", 1), ("b", 0), ("mu", 0), ("var", 1))]
    save("bn_training", model([helper.make_node("BatchNormalization", ["x", "s", "b", "mu", "var"],
                                                ["a", "mu2", "var2", "smu", "svar"], name="bn"),
                               helper.make_node("Dropout", ["x", "ratio", "train"], ["d"], name="drop"),
                               helper.make_node("Add", ["a", "d"], ["y"])],
                              [vi("x", ["N", 2, 4, 4])], [vi("y", ["N", 2, 4, 4])],
                              bn + [numpy_helper.from_array(np.array(0.5, np.float32), "ratio"),
                                    numpy_helper.from_array(np.array(True), "train")]))
    save("bn_training_mode", model([helper.make_node("BatchNormalization", ["x", "s", "b", "mu", "var"],
                                                     ["y", "mu2", "var2"], name="bn", training_mode=1)],
                                   [vi("x", ["N", 2, 4, 4])], [vi("y", ["N", 2, 4, 4])], bn, opset=15))
    # operators of one input given two: of data (Relu, Not) and of constants (Floor)
    save("extra_inputs", model([helper.make_node("Relu", ["x", "x"], ["a"], name="relu2"),
                                helper.make_node("Not", ["x", "x"], ["b"], name="not2"),
                                helper.make_node("Floor", ["s1", "s1"], ["c"], name="floor2"),
                                helper.make_node("Sum", ["a", "b", "c"], ["y"])],
                               [vi("x", ["N", 2, 4, 4])], [vi("y", ["N", 2, 4, 4])],
                               [numpy_helper.from_array(np.ones(1, np.float32), "s1")]))
    # values nothing reads: a layer's, and a Neg's and a view's, which are no layer
    # until read: each is dropped with a warning, and the model compiles
    s6 = numpy_helper.from_array(np.array([-1, 2, 2, 2, 2, 2], np.int64), "s6")
    save("unused_values", model([helper.make_node("Relu", ["x"], ["a"], name="dead_relu"),
                                 helper.make_node("Neg", ["x"], ["b"], name="dead_neg"),
                                 helper.make_node("Reshape", ["x", "s6"], ["v"], name="dead_view"),
                                 helper.make_node("Sigmoid", ["x"], ["y"], name="out")],
                                [vi("x", ["N", 2, 4, 4])], [vi("y", ["N", 2, 4, 4])], [s6]))
    # Expand of data: to more axes, across the batch, by a negative size; Where of a
    # condition that varies along the batch axis, Where of two inputs, Less of shapes
    # that do not broadcast, Greater of a constant of more axes than the data (it
    # would move the batch axis)
    ex = [numpy_helper.from_array(np.array(v, np.int64), k)
          for k, v in (("five", [1, 1, 2, 4, 4]), ("batch", [3, 2, 4, 4]), ("neg", [1, -2, 4, 4]))]
    ex.append(numpy_helper.from_array(np.array([True, False, True]).reshape(3, 1, 1, 1), "g"))
    ex.append(numpy_helper.from_array(np.zeros(3, np.float32), "k"))
    ex.append(numpy_helper.from_array(np.zeros((1, 1, 2, 1, 4), np.float32), "k5"))
    save("expand", model([helper.make_node("Expand", ["x", "five"], ["a"], name="more_axes"),
                          helper.make_node("Expand", ["x", "batch"], ["b"], name="batch"),
                          helper.make_node("Expand", ["x", "neg"], ["c"], name="negative"),
                          helper.make_node("Where", ["g", "x", "x"], ["w"], name="where"),
                          helper.make_node("Where", ["x", "x"], ["w2"], name="where_two"),
                          helper.make_node("Less", ["x", "k"], ["l"], name="less"),
                          helper.make_node("Greater", ["x", "k5"], ["g5"], name="greater_more_axes"),
                          helper.make_node("Sum", ["a", "b", "c", "w", "w2", "l", "g5"], ["y"])],
                         [vi("x", ["N", 2, 1, 4])], [vi("y", ["N", 2, 4, 4])], ex))
    # reductions of constants that have no value: a maximum of no element, an axis twice,
    # the log of an integer sum of 0, the batch size plus other sizes; ReduceProd of data
    rc = [numpy_helper.from_array(np.zeros((0, 3), np.float32), "empty"),
          numpy_helper.from_array(np.ones((2, 3), np.float32), "w"),
          numpy_helper.from_array(np.array([0, -2], np.int64), "twice"),
          numpy_helper.from_array(np.array([0, 0], np.int64), "zeros")]
    save("reduce_constants", model([helper.make_node("ReduceMax", ["empty"], ["a"], name="max_of_none", keepdims=0),
                                    helper.make_node("ReduceSum", ["w", "twice"], ["b"], name="axis_twice"),
                                    helper.make_node("ReduceLogSum", ["zeros"], ["c"], name="log_zero"),
                                    helper.make_node("Shape", ["x"], ["shape"], name="shape"),
                                    helper.make_node("ReduceSum", ["shape"], ["d"], name="batch_plus_sizes"),
                                    helper.make_node("ReduceProd", ["x"], ["y"], name="prod_of_data", axes=[1])],
                                   [vi("x", ["N", 2, 4, 4])], [vi("y", ["N", 1, 4, 4])], rc, opset=17))
    # the axes of reductions in the form of another opset (an attribute until 13 for
    # ReduceSum and 18 for the others, input 1 from then), of data and of constants;
    # ReduceMax's attribute is right
    save("reduce_axes_form", model([helper.make_node("ReduceSum", ["x"], ["a"], name="sum_attribute", axes=[1]),
                                    helper.make_node("ReduceMean", ["x", "ax1"], ["b"], name="mean_input"),
                                    helper.make_node("ReduceMax", ["x"], ["c"], name="max_attribute", axes=[1]),
                                    helper.make_node("ReduceSum", ["w"], ["d"], name="sum_attribute_constant", axes=[0]),
                                    helper.make_node("ReduceProd", ["w", "ax1"], ["e"], name="prod_input_constant"),
                                    helper.make_node("Sum", ["a", "b", "c"], ["y"])],
                                   [vi("x", ["N", 2, 4, 4])], [vi("y", ["N", 1, 4, 4])],
                                   [numpy_helper.from_array(np.array([1], np.int64), "ax1"),
                                    numpy_helper.from_array(np.ones((2, 3), np.float32), "w")]))
    # integer arithmetic of constants past int64 (no wrapping): Add, Sub, Mul and the
    # reductions that sum or multiply; INT64_MIN, the symbolic batch size, stays that
    big = np.iinfo(np.int64).max
    ic = [numpy_helper.from_array(np.array(v, np.int64), k)
          for k, v in (("max", [big]), ("min1", [-big]), ("two", [2]), ("pow62", [1 << 62]), ("maxes", [big, 1]),
                       ("halves", [1 << 32, 1 << 31]), ("roots", [3037000500]))]
    save("int_overflow", model([helper.make_node("Add", ["max", "two"], ["a"], name="add"),
                                helper.make_node("Sub", ["min1", "two"], ["b"], name="sub"),
                                helper.make_node("Mul", ["pow62", "two"], ["c"], name="mul"),
                                helper.make_node("ReduceSum", ["maxes"], ["d"], name="sum", keepdims=0),
                                helper.make_node("ReduceProd", ["halves"], ["e"], name="prod", keepdims=0),
                                helper.make_node("ReduceSumSquare", ["roots"], ["f"], name="square", keepdims=0),
                                helper.make_node("ReduceL1", ["maxes"], ["g"], name="l1", keepdims=0),
                                helper.make_node("Shape", ["x"], ["s"]),
                                helper.make_node("Gather", ["s", "i0"], ["n"]),
                                helper.make_node("Add", ["n", "max"], ["n2"], name="batch_plus"),
                                helper.make_node("Relu", ["x"], ["y"])],
                               [vi("x", ["N", 4])], [vi("y", ["N", 4])],
                               ic + [numpy_helper.from_array(np.array(0, np.int64), "i0")]))
    # unsupported attribute values of the resampling and moving operators, all in one run
    # (a backward slice that takes nothing, tiling the batch axis or into 100 copies, a view
    # of more axes than a sample has read by other than a pixel (un)shuffle)
    sc = numpy_helper.from_array(np.array([1, 1, 2, 2], np.float32), "sc")
    save("resize_transpose", model([helper.make_node("Resize", ["x", "roi", "sc"], ["a"], name="crop", mode="linear",
                                                     coordinate_transformation_mode="tf_crop_and_resize"),
                                    helper.make_node("Resize", ["x", "", "sc"], ["b"], name="even",
                                                     nearest_mode="round_half_even"),
                                    helper.make_node("Slice", ["x", "st", "en", "ax", "sp"], ["d"], name="back"),
                                    helper.make_node("Tile", ["x", "rb"], ["g"], name="tile_batch"),
                                    helper.make_node("Tile", ["x", "rm"], ["h"], name="tile_many"),
                                    helper.make_node("Pad", ["x", "pc"], ["e"], name="channels"),
                                    helper.make_node("Reshape", ["x", "deep"], ["f"], name="deep"),
                                    helper.make_node("Relu", ["f"], ["f2"], name="deep_relu"),
                                    helper.make_node("Transpose", ["f"], ["f3"], name="deep_t", perm=[0, 1, 2, 3, 5, 4]),
                                    helper.make_node("ReduceMean", ["x"], ["y"], name="all", keepdims=0)],
                                   [vi("x", ["N", 2, 4, 4])], [vi("y", ["N"])],
                                   [sc, numpy_helper.from_array(np.array([0, 0, 0, 0, 1, 1, 1, 1], np.float32), "roi")] +
                                   [numpy_helper.from_array(np.array([v], np.int64), k)
                                           for k, v in (("st", 0), ("en", 2), ("ax", 3), ("sp", -1))]
                                   + [numpy_helper.from_array(np.array(v, np.int64), k)
                                      for k, v in (("rb", [2, 1, 1, 1]), ("rm", [1, 1, 100, 1]))]
                                   + [numpy_helper.from_array(np.array([0, 0, 1, 1, 0, 1, 1, 1], np.int64), "pc"),
                                      numpy_helper.from_array(np.array([0, 2, 2, 2, 2, 2], np.int64), "deep")]))
    w = numpy_helper.from_array(np.ones((2, 2, 3, 3), np.float32), "up.weight")
    save("conv_transpose_shape", model([helper.make_node("ConvTranspose", ["x", "up.weight"], ["y"], name="up",
                                                         strides=[2, 2], output_shape=[12, 12])],
                                       [vi("x", ["N", 2, 4, 4])], [vi("y", ["N", 4, 12, 12])], [w], opset=11))
    # two initializers of one name; a string attribute that is present and empty (no bytes at all)
    w1 = numpy_helper.from_array(np.ones((2, 1, 3, 3), np.float32), "c.weight")
    save("initializer_twice", model([helper.make_node("Conv", ["x", "c.weight"], ["y"], name="c", pads=[1, 1, 1, 1])],
                                    [vi("x", ["N", 1, 4, 4])], [vi("y", ["N", 2, 4, 4])], [w1, w1]))
    save("empty_string_attr", model([helper.make_node("Conv", ["x", "c.weight"], ["y"], name="c", auto_pad="")],
                                    [vi("x", ["N", 1, 4, 4])], [vi("y", ["N", 2, 2, 2])], [w1]))
    # squeezing the batch axis (fixed at 1 in the model); an input dimension of 0; a weight with no output channels
    save("squeeze_batch", model([helper.make_node("Squeeze", ["x", "ax"], ["y"], name="sq")], [vi("x", [1, 3, 1, 4])],
                                [vi("y", [3, 1, 4])], [numpy_helper.from_array(np.array([0], np.int64), "ax")]))
    save("input_dim0", model([helper.make_node("Relu", ["x"], ["y"])], [vi("x", ["N", 0, 5])], [vi("y", ["N", 0, 5])]))
    save("weight_empty", model([helper.make_node("Conv", ["x", "w0"], ["y"], name="c")], [vi("x", ["N", 3, 5, 5])],
                               [vi("y", ["N", 0, 3, 3])], [numpy_helper.from_array(np.zeros((0, 3, 3, 3), np.float32), "w0")]))
    # window attributes past cnnc's limits, used in arithmetic that would overflow int64
    # before the size check (SAME padding from the stride, kernel and dilation; a
    # transposed convolution's full size, output_padding (and a negative one), output_shape,
    # pads and group)
    i64max, i64min, p62 = (1 << 63) - 1, -(1 << 63), 1 << 62
    save("window_limits", model([helper.make_node("Conv", ["x", "w2"], ["a"], name="conv_dilation",
                                                  auto_pad="SAME_UPPER", dilations=[p62, 1]),
                                 helper.make_node("Conv", ["x", "w2"], ["b"], name="conv_stride",
                                                  auto_pad="SAME_LOWER", strides=[i64max, 1]),
                                 helper.make_node("MaxPool", ["x"], ["c"], name="pool_kernel", kernel_shape=[p62, 3],
                                                  dilations=[4, 1], auto_pad="SAME_UPPER"),
                                 helper.make_node("AveragePool", ["x"], ["d"], name="pool_kernel_max",
                                                  kernel_shape=[i64max, 3], auto_pad="SAME_UPPER"),
                                 helper.make_node("ConvTranspose", ["x", "w2"], ["e"], name="t_stride",
                                                  strides=[p62, 1]),
                                 helper.make_node("ConvTranspose", ["x", "w2"], ["f"], name="t_dilation",
                                                  dilations=[i64max, 1]),
                                 helper.make_node("ConvTranspose", ["x", "w2"], ["g"], name="t_output_padding",
                                                  output_padding=[i64max, 0]),
                                 helper.make_node("ConvTranspose", ["x", "w2"], ["g2"], name="t_output_padding_negative",
                                                  output_padding=[-1, 0]),
                                 helper.make_node("ConvTranspose", ["x", "w2"], ["h"], name="t_output_shape",
                                                  output_shape=[i64min, 4], auto_pad="SAME_UPPER"),
                                 helper.make_node("ConvTranspose", ["x", "w2"], ["i"], name="t_pads",
                                                  pads=[i64max, 0, i64max, 0]),
                                 helper.make_node("ConvTranspose", ["x", "w2"], ["j"], name="t_pads_negative",
                                                  pads=[i64min, 0, 0, 0]),
                                 helper.make_node("ConvTranspose", ["x", "w1"], ["k"], name="t_group", group=p62),
                                 helper.make_node("Sum", ["a", "b", "c", "d", "e", "f", "g", "g2", "h", "i", "j", "k"],
                                                  ["y"])],
                                [vi("x", ["N", 2, 4, 4])], [vi("y", ["N", 2, 4, 4])],
                                [w2, numpy_helper.from_array(np.ones((2, 4, 3, 3), np.float32), "w1")]))
    # integer inputs of other operators past the limits: Pad's pads, Split's sizes
    save("attribute_limits", model([helper.make_node("Pad", ["x", "pmin"], ["a"], name="pad_min"),
                                    helper.make_node("Pad", ["x", "pmax"], ["b"], name="pad_max"),
                                    helper.make_node("Split", ["x", "smax"], ["c1", "c2"], name="split_max", axis=2),
                                    helper.make_node("Sum", ["a", "b", "c1", "c2"], ["y"])],
                                   [vi("x", ["N", 2, 4, 4])], [vi("y", ["N", 2, 4, 4])],
                                   [numpy_helper.from_array(np.array(v, np.int64), k) for k, v in
                                    (("pmin", [0, 0, i64min, 0, 0, 0, 0, 0]),
                                     ("pmax", [0, 0, 0, 0, 0, 0, i64max, 0]), ("smax", [i64max, i64max]))]))
    # Clip of integer constants, compared as integers: a bound near INT64_MAX (2^63 as a
    # double, past int64); Add shows the clipped value in its overflow message. Integer
    # Relu of a constant: Div by its 0
    cl = [numpy_helper.from_array(np.array(v, np.int64), k)
          for k, v in (("five", 5), ("imax", i64max), ("below_max", i64max - 1), ("two", 2), ("minus3", [-3]),
                       ("seven", [7]))]
    save("clip_int", model([helper.make_node("Clip", ["five", "below_max"], ["a"], name="clip_min"),
                            helper.make_node("Add", ["a", "two"], ["a2"], name="add_min"),
                            helper.make_node("Clip", ["imax", "", "below_max"], ["b"], name="clip_max"),
                            helper.make_node("Add", ["b", "two"], ["b2"], name="add_max"),
                            helper.make_node("Relu", ["minus3"], ["r"], name="relu"),
                            helper.make_node("Div", ["seven", "r"], ["r2"], name="div_relu"),
                            helper.make_node("Relu", ["x"], ["y"])],
                           [vi("x", ["N", 4])], [vi("y", ["N", 4])], cl))
    # integer Div and Mod of constants by zero (it gave 0), and the Reciprocal of an
    # integer, which ONNX does not define (it gave the integer)
    save("int_division_zero", model([helper.make_node("Div", ["seven", "zero"], ["a"], name="div"),
                                     helper.make_node("Reciprocal", ["seven"], ["d"], name="reciprocal"),
                                     helper.make_node("Mod", ["seven", "zero"], ["b"], name="mod"),
                                     helper.make_node("Mod", ["seven", "zero"], ["c"], name="fmod", fmod=1),
                                     helper.make_node("Relu", ["x"], ["y"])],
                                    [vi("x", ["N", 4])], [vi("y", ["N", 4])],
                                    [numpy_helper.from_array(np.array([7], np.int64), "seven"),
                                     numpy_helper.from_array(np.array([0], np.int64), "zero")]))
    # Squeeze's and Unsqueeze's axes in another opset's form (an attribute before opset 13,
    # input 1 from then), of data and of constants
    sq = [numpy_helper.from_array(np.array([1], np.int64), "ax1"),
          numpy_helper.from_array(np.ones((2, 1), np.float32), "w21")]
    save("squeeze_axes_form", model([helper.make_node("Unsqueeze", ["x"], ["a"], name="unsqueeze_attribute", axes=[1]),
                                     helper.make_node("Squeeze", ["x"], ["b"], name="squeeze_attribute", axes=[1]),
                                     helper.make_node("Squeeze", ["w21"], ["c"], name="squeeze_attribute_constant",
                                                      axes=[1]),
                                     helper.make_node("Sum", ["a", "b"], ["y"])],
                                    [vi("x", ["N", 1, 4])], [vi("y", ["N", 1, 4])], sq))
    save("squeeze_axes_form11", model([helper.make_node("Unsqueeze", ["x", "ax1"], ["a"], name="unsqueeze_input"),
                                       helper.make_node("Squeeze", ["x", "ax1"], ["b"], name="squeeze_input"),
                                       helper.make_node("Squeeze", ["w21", "ax1"], ["c"], name="squeeze_input_constant"),
                                       helper.make_node("Sum", ["a", "b"], ["y"])],
                                      [vi("x", ["N", 1, 4])], [vi("y", ["N", 1, 4])], sq, opset=11))
    # the symbolic batch size (INT64_MIN) negated, and integer results equal to INT64_MIN,
    # which would read as the batch size: of Sub, Mul, Add and ReduceSum
    bs = [numpy_helper.from_array(np.array(v, np.int64), k)
          for k, v in (("i0", 0), ("min1", [-i64max]), ("one", [1]), ("p62", [p62]), ("m2", [-2]),
                       ("halfmin", [-p62, -p62]))]
    save("batch_symbol", model([helper.make_node("Shape", ["x"], ["s"]),
                                helper.make_node("Gather", ["s", "i0"], ["n"]),
                                helper.make_node("Neg", ["n"], ["negn"], name="neg_batch"),
                                helper.make_node("Reshape", ["x", "negs"], ["a"], name="reshape_neg"),
                                helper.make_node("Sub", ["min1", "one"], ["b"], name="sub_min"),
                                helper.make_node("Mul", ["p62", "m2"], ["c"], name="mul_min"),
                                helper.make_node("Add", ["halfmin", "halfmin"], ["d"], name="add_min"),
                                helper.make_node("ReduceSum", ["halfmin"], ["e"], name="sum_min", keepdims=0),
                                helper.make_node("Concat", ["b", "two4"], ["bs"], axis=0),
                                helper.make_node("Reshape", ["x", "bs"], ["y"], name="reshape_sub"),
                                helper.make_node("Unsqueeze", ["negn", "i0s"], ["negn1"]),
                                helper.make_node("Concat", ["negn1", "four"], ["negs"], axis=0)],
                               [vi("x", ["N", 4])], [vi("y", ["N", 4])],
                               bs + [numpy_helper.from_array(np.array(v, np.int64), k)
                                     for k, v in (("two4", [4]), ("four", [4]), ("i0s", [0]))]))
    # constants of no element with huge sizes beside the 0 (the products of the other sizes
    # overflowed int64 in folding): from ConstantOfShape, a Reshape with allowzero, an initializer
    b40 = 1 << 40
    save("empty_huge_dims", model([helper.make_node("ConstantOfShape", ["shp"], ["z"], name="constant_of_shape"),
                                   helper.make_node("Gather", ["z", "none"], ["a"], name="gather_z"),
                                   helper.make_node("Reshape", ["none", "shp"], ["c"], name="reshape", allowzero=1),
                                   helper.make_node("Relu", ["x"], ["y"])],
                                  [vi("x", ["N", 4])], [vi("y", ["N", 4])],
                                  [numpy_helper.from_array(np.array([0, b40, b40], np.int64), "shp"),
                                   numpy_helper.from_array(np.zeros((0,), np.int64), "none")], opset=14))
    save("empty_huge_initializer", model([helper.make_node("Gather", ["e", "none"], ["a"], name="gather"),
                                          helper.make_node("Relu", ["x"], ["y"])],
                                         [vi("x", ["N", 4])], [vi("y", ["N", 4])],
                                         [numpy_helper.from_array(np.zeros((0,), np.int64), "none"),
                                          helper.make_tensor("e", T.FLOAT, [0, b40, b40], [])]))
    # external data: outside the model's folder (up, absolute, through a link), missing, too short
    def external(name, loc, off=0):
        m = conv_model()
        t = m.graph.initializer[0]
        t.ClearField("raw_data")
        t.data_location = T.EXTERNAL
        for k, v in (("location", loc), ("offset", str(off))):
            e = t.external_data.add()
            e.key, e.value = k, v
        save(name, m)
    open(os.path.join(d, "..", "outside.weights"), "wb").write(b"\0" * 100)
    open(os.path.join(d, "short.weights"), "wb").write(b"\0" * 80)
    link = os.path.join(d, "link.weights")
    if not os.path.lexists(link):
        os.symlink(os.path.abspath(os.path.join(d, "..", "outside.weights")), link)
    external("external_up", "../outside.weights")
    external("external_absolute", "/etc/hostname")
    external("external_link", "link.weights")
    external("external_missing", "nothere.weights")
    external("external_short", "short.weights", off=40)
    external("external_offset_text", "short.weights", off="12abc")
    external("external_nul", "short.weights\0../outside.weights")   # C text would end at the NUL
    fifo = os.path.join(d, "fifo.weights")   # refused before open(), which would wait for a writer
    if not os.path.exists(fifo):
        os.mkfifo(fifo)
    external("external_fifo", "fifo.weights")
    return cases
