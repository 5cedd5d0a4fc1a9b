hdr
