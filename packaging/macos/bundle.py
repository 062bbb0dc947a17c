"""The macOS .app settings for the one-folder build (PyInstaller's BUNDLE in video-archive.spec).
Kept as data so a Linux machine can check them (tests/test_packaging_config.py): the .app cannot
be built or run here."""

NAME = "Video Archive"            # the .app, its windowed executable and the menu bar name
IDENTIFIER = "studio.yambo.video-archive"
MINIMUM_MACOS = "11.0"            # Qt 6.5+ wheels need macOS 11; the universal2 wheels run on Apple silicon
# "Open With" on the video files the Linux desktop entry lists (packaging/linux/video-archive.desktop)
VIDEO_TYPES = ("public.mpeg-4", "com.apple.quicktime-movie", "public.movie", "org.matroska.mkv",
               "org.webmproject.webm", "public.avi", "com.apple.m4v-video", "public.mpeg-2-transport-stream")


def info_plist(version: str) -> dict:
    return {
        "CFBundleName": NAME,
        "CFBundleDisplayName": NAME,
        "CFBundleExecutable": NAME,
        "CFBundleIdentifier": IDENTIFIER,
        "CFBundleShortVersionString": version,
        "CFBundleVersion": version,
        "CFBundlePackageType": "APPL",
        "LSMinimumSystemVersion": MINIMUM_MACOS,
        "NSHighResolutionCapable": True,
        "LSApplicationCategoryType": "public.app-category.video",
        "NSHumanReadableCopyright": "Video Archive: GPL-3.0-or-later; as shipped, with PyQt6 "
                                    "and FFmpeg, a GPL-3.0 work.",
        # a file opened with the app arrives as an Apple event, which Qt turns into a file-open
        # event; the viewer role never changes the file
        "CFBundleDocumentTypes": [{"CFBundleTypeName": "Video", "CFBundleTypeRole": "Viewer",
                                   "LSHandlerRank": "Alternate", "LSItemContentTypes": list(VIDEO_TYPES)}],
        # Qt WebEngine links the capture APIs; macOS wants a reason even though the editor never
        # asks for them.
        "NSCameraUsageDescription": "Video Archive does not use the camera.",
        "NSMicrophoneUsageDescription": "Video Archive does not use the microphone.",
    }
