/**
 * Hand-written layouts for exercising the schema-driven decoder on shapes our schemas lack (lists of
 * every element size, recursion, empty structs). They need not match a real schema: any layout is a
 * valid question to ask of untrusted bytes.
 */
import type { SchemaLayouts } from '../../../../src/wire/index.ts';

export const TEST_LAYOUTS: SchemaLayouts = {
  nodes: {
    't.capnp:Empty': {
      kind: 'struct',
      id: '01',
      dataWords: 0,
      pointerCount: 0,
      discriminantCount: 0,
      discriminantOffset: 0,
      fields: [],
    },
    't.capnp:Node': {
      kind: 'struct',
      id: '02',
      dataWords: 1,
      pointerCount: 1,
      discriminantCount: 0,
      discriminantOffset: 0,
      fields: [
        { kind: 'slot', name: 'next', type: { kind: 'struct', structName: 't.capnp:Node' }, offset: 0 },
        { kind: 'slot', name: 'value', type: { kind: 'int32' }, offset: 0 },
      ],
    },
    't.capnp:Color': { kind: 'enum', id: '03', enumerants: ['red', 'green'] },
    't.capnp:Lists': {
      kind: 'struct',
      id: '04',
      dataWords: 1,
      pointerCount: 12,
      discriminantCount: 2,
      discriminantOffset: 0,
      fields: [
        { kind: 'slot', name: 'voids', type: { kind: 'list', element: { kind: 'void' } }, offset: 0 },
        { kind: 'slot', name: 'bits', type: { kind: 'list', element: { kind: 'bool' } }, offset: 1 },
        { kind: 'slot', name: 'bytes', type: { kind: 'list', element: { kind: 'int8' } }, offset: 2 },
        {
          kind: 'slot',
          name: 'shorts',
          type: { kind: 'list', element: { kind: 'enum', enumName: 't.capnp:Color' } },
          offset: 3,
        },
        { kind: 'slot', name: 'floats', type: { kind: 'list', element: { kind: 'float32' } }, offset: 4 },
        { kind: 'slot', name: 'longs', type: { kind: 'list', element: { kind: 'int64' } }, offset: 5 },
        { kind: 'slot', name: 'texts', type: { kind: 'list', element: { kind: 'text' } }, offset: 6 },
        { kind: 'slot', name: 'blobs', type: { kind: 'list', element: { kind: 'data' } }, offset: 7 },
        {
          kind: 'slot',
          name: 'nested',
          type: { kind: 'list', element: { kind: 'list', element: { kind: 'uint16' } } },
          offset: 8,
        },
        {
          kind: 'slot',
          name: 'nodes',
          type: { kind: 'list', element: { kind: 'struct', structName: 't.capnp:Node' } },
          offset: 9,
        },
        {
          kind: 'slot',
          name: 'empties',
          type: { kind: 'list', element: { kind: 'struct', structName: 't.capnp:Empty' } },
          offset: 10,
        },
        { kind: 'slot', name: 'a', type: { kind: 'float64' }, offset: 11, discriminant: 0 },
        { kind: 'slot', name: 'b', type: { kind: 'text' }, offset: 11, discriminant: 1 },
      ],
    },
  },
};
