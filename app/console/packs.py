"""Console pages for building the response pack and sending its download links."""
