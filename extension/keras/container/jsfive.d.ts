// jsfive ships no types; this declares the small part we use (see hdf5.ts, the only importer).
declare module 'jsfive' {
  export interface JsfiveDataObjects {
    offset: number;
    fh: ArrayBuffer;
    find_msg_type(type: number): Map<string, number>[];
    _get_data_message_properties(msgOffset: number): [number, number | undefined, number, number];
  }
  export class Group {
    name: string;
    get keys(): string[];
    get attrs(): Record<string, unknown>;
    get(path: string): Group | Dataset;
    _dataobjects: JsfiveDataObjects;
  }
  export class File extends Group {
    constructor(buffer: ArrayBuffer, filename?: string);
  }
  export class Dataset {
    name: string;
    get value(): unknown[];
    get shape(): number[];
    get dtype(): string | unknown[];
    get attrs(): Record<string, unknown>;
    _dataobjects: JsfiveDataObjects;
  }
}
