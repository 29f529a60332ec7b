// Public API of the object storage layer.
export {
  type Bucket,
  type ObjectAttributes,
  type PutBody,
  type IterOptions,
  type ObjstoreLogger,
  DIR_DELIM,
  NotFoundError,
  InvalidKeyError,
  isNotFound,
  compareKeys,
  dirPrefix,
  readAll,
  nopLogger,
} from './bucket.ts';
export { FilesystemBucket } from './filesystem.ts';
export {
  S3Bucket,
  type S3BucketOptions,
  type S3HTTPOptions,
  type S3TLSOptions,
  type SSEOptions,
  DEFAULT_PART_SIZE,
  MIN_PART_SIZE,
  endpointURL,
  usePathStyle,
  isRetryableS3Error,
} from './s3.ts';
export { PrefixedBucket, withPrefix } from './prefixed.ts';
export {
  type BucketConfig,
  type S3Config,
  type FilesystemConfig,
  type CreateBucketOptions,
  ObjstoreConfigError,
  createBucket,
  parseBucketConfig,
  s3OptionsFromConfig,
  expandEnv,
  parsePromDuration,
  readObjstoreConfig,
  bucketFromFlags,
} from './config.ts';
