window.gzipScript = 'gzip script ran';
