#!/bin/sh
# Regenerates src/storeapi/gen/ (checked in; CI does not need protoc) from src/storeapi/proto/
# with ts-proto (dev dependency) and protoc ≥ 3.21.
#
# Options: grpc-js service definitions; imports end in `.ts` (importSuffix=.ts), which is what our
# NodeNext + allowImportingTsExtensions + verbatimModuleSyntax setup resolves (ts-proto already emits
# `import type` where needed, so no post-processing); forceLong=bigint because Thanos sends and
# expects int64 values outside JavaScript's safe-integer range (math.MinInt64/MaxInt64 time bounds,
# Prometheus' MinTime/MaxTime in label requests) that forceLong=number would reject on decode;
# env=both so `bytes` fields are plain Uint8Array views (env=node copies every chunk into a Buffer);
# useOptionals=messages. Runtime: @bufbuild/protobuf's BinaryReader/BinaryWriter.
set -eu
cd "$(dirname "$0")/.."
PROTO=src/storeapi/proto
OUT=src/storeapi/gen
rm -rf "$OUT"
mkdir -p "$OUT"
protoc \
  --plugin=protoc-gen-ts_proto=node_modules/.bin/protoc-gen-ts_proto \
  --ts_proto_out="$OUT" \
  --ts_proto_opt=outputServices=grpc-js,esModuleInterop=true,importSuffix=.ts,forceLong=bigint,useOptionals=messages,env=both,outputJsonMethods=false,outputPartialMethods=true,useDate=false,exportCommonSymbols=false \
  -I "$PROTO" -I /usr/include \
  store/labelpb/types.proto store/storepb/types.proto store/storepb/prompb/types.proto store/storepb/rpc.proto info/infopb/rpc.proto
echo "generated:"; find "$OUT" -name '*.ts' | sort
