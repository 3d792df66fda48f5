// Block-wise symmetric quantization of a linear layer's weights into MatMulNBits' layout (com.microsoft, 4 or 8 bits).

export interface NBitsWeights {
  /** [N, blocksPerColumn, blockBytes]: for each output n, the K inputs in blocks, low nibble first when bits = 4. */
  packed: Uint8Array;
  /** [N * blocksPerColumn] */
  scales: Float32Array;
  blocksPerColumn: number;
  blockBytes: number;
}

/**
 * w is [N, K] (torch Linear layout, rows = outputs). Values are stored offset by 2^(bits-1) (the kernel's default
 * zero point, so no zero-point tensor is needed); K is padded to whole blocks with zeros.
 */
export function quantizeNBits(w: Float32Array, n: number, k: number, bits: 4 | 8, blockSize: number, scaleBy = 1): NBitsWeights {
  const blocksPerColumn = Math.ceil(k / blockSize);
  const blockBytes = (blockSize * bits) / 8;
  const qmax = bits === 4 ? 7 : 127;
  const offset = bits === 4 ? 8 : 128;
  const packed = new Uint8Array(n * blocksPerColumn * blockBytes);
  const scales = new Float32Array(n * blocksPerColumn);
  for (let row = 0; row < n; row++) {
    for (let b = 0; b < blocksPerColumn; b++) {
      const start = b * blockSize;
      const end = Math.min(start + blockSize, k);
      let amax = 0;
      for (let i = start; i < end; i++) amax = Math.max(amax, Math.abs(w[row * k + i]! * scaleBy));
      const scale = amax > 0 ? amax / qmax : 1;
      scales[row * blocksPerColumn + b] = scale;
      const base = (row * blocksPerColumn + b) * blockBytes;
      for (let i = 0; i < blockSize; i++) {
        const v = start + i < end ? w[row * k + start + i]! * scaleBy : 0;
        const q = Math.max(-qmax - 1, Math.min(qmax, Math.round(v / scale))) + offset;
        if (bits === 8) packed[base + i] = q;
        else packed[base + (i >> 1)]! |= (i & 1) === 0 ? q : q << 4;
      }
    }
  }
  return { packed, scales, blocksPerColumn, blockBytes };
}
