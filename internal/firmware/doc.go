// Package firmware unpacks firmware images into a read-only, in-memory
// fs.FS for the analysers in package inspect.
//
// It detects formats by magic, carves them out of raw blobs and recurses:
// U-Boot legacy uImage (single and multi), FIT, TRX, squashfs v4, cpio,
// tar, gzip/xz/lzma/zstd/bzip2/lz4 streams, JFFS2, UBI and UBIFS, cramfs,
// ext2/3/4, and Linux kernel banners inside decompressed kernels.
//
// Images come from strangers, so every step runs under hard limits (total
// extracted bytes, file count, nesting depth, time through the context),
// names never escape the image root, and symbolic links are resolved
// inside the file system they belong to. A truncated or corrupt image
// yields what could be read together with an error naming the format,
// offset and reason.
//
// xz streams whose blocks use LZMA2 alone (squashfs's, most firmware's)
// are decoded by the subpackage xzdec, into the caller's buffer; streams
// with BCJ or delta filters go to github.com/therootcompany/xz.
//
// It is an engine: it must not import storage (database/sql, sqlite, pgx),
// HTTP servers, or the project's domain package internal/iotsec.
package firmware
