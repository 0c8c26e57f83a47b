package dev.prosparse.dist;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.prosparse.util.Torch;
import java.util.Map;

/**
 * Element ranges of the padded flat parameter vector of a {@link ShardLayout}, read from or written to the parameters
 * (or their gradients) without ever building the whole vector (docs/distributed.md, "Memory"): a range is assembled
 * from 1-D views of the tensors it overlaps, each cast to float32 on its own and freed once concatenated, so reading a
 * range of n elements holds at most 2 × 4n bytes (the casts and their concatenation) whatever the model's size.
 */
final class FlatSlices {
    private FlatSlices() {}

    /**
     * Elements [lo, hi) of the padded flat vector of {@code arrays} (the layout's names; any float dtype) as a new
     * float32 array [hi − lo] in {@code scope}; elements past the real ones are zero (the layout's padding).
     */
    static NDArray read(ShardLayout layout, Map<String, NDArray> arrays, long lo, long hi, NDManager scope) {
        try (NDManager tmp = scope.newSubManager()) {           // the views and casts die here, the result lives on
            NDList parts = new NDList();
            for (ShardLayout.Entry e : layout.entries()) {
                long a = Math.max(lo, e.offset()), b = Math.min(hi, e.offset() + e.numel());
                if (a >= b) {
                    continue;
                }
                NDArray src = arrays.get(e.name());
                NDArray flat = src.reshape(-1);                                         // [numel] view
                if (flat != src) {
                    flat.attach(tmp);                                                   // never the tensor itself
                }
                NDArray piece = flat.get(new NDIndex("{}:{}", a - e.offset(), b - e.offset()));
                piece.attach(tmp);
                NDArray f = piece.toType(DataType.FLOAT32, false);                      // [b − a]
                f.attach(tmp);
                parts.add(f);
            }
            long padFrom = Math.max(lo, layout.total());
            if (hi > padFrom) {
                parts.add(tmp.zeros(new Shape(hi - padFrom), DataType.FLOAT32, scope.getDevice()));
            }
            NDArray out = parts.size() == 1 ? parts.get(0).duplicate() : NDArrays.concat(parts);   // [hi − lo]
            out.attach(scope);
            return out;
        }
    }

    /**
     * params[lo, hi) ← values (float32 [hi − lo]) in the flat vector's terms, cast to each parameter's dtype and written
     * in place through 1-D views; padding elements of {@code values} are ignored.
     */
    static void write(ShardLayout layout, Map<String, NDArray> params, long lo, long hi, NDArray values, NDManager scope) {
        Torch.noGrad(() -> {
            for (ShardLayout.Entry e : layout.entries()) {
                long a = Math.max(lo, e.offset()), b = Math.min(hi, e.offset() + e.numel());
                if (a >= b) {
                    continue;
                }
                NDArray p = params.get(e.name());
                NDArray flat = p.reshape(-1);                                        // [numel] view sharing p's storage
                if (flat != p) {
                    flat.attach(scope);                                              // never the parameter itself
                }
                NDArray part = values.get(new NDIndex("{}:{}", a - lo, b - lo));
                part.attach(scope);
                flat.set(new NDIndex("{}:{}", a - e.offset(), b - e.offset()), part);
            }
            return null;
        });
    }
}
