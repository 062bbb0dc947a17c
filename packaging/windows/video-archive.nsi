; Windows installer around the PyInstaller one-folder build (packaging/video-archive.spec built on
; Windows). Per-user: no administrator rights, installs under %LOCALAPPDATA%\Programs, a Start-menu
; entry, an uninstaller listed in Apps & features. The uninstaller removes only what it installed:
; state.db, its backups and the ingest cache live in %LOCALAPPDATA%\video-archive (platformdirs'
; per-user config dir) and are kept.
;   makensis -DDIST=path\to\dist\video-archive -DVERSION=0.1.0 -DOUTFILE=VideoArchive-Setup.exe
;            -DICON=path\to\video-archive.ico packaging\windows\video-archive.nsi
Unicode true
!ifndef DIST
  !error "DIST must name the PyInstaller output folder (holding video-archive.exe)"
!endif
!ifndef VERSION
  !error "VERSION must be given (backend/__init__.py's __version__)"
!endif
!ifndef OUTFILE
  !define OUTFILE "VideoArchive-${VERSION}-Setup.exe"
!endif

!define APP "Video Archive"
!define UNINST_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\VideoArchive"

Name "${APP} ${VERSION}"
OutFile "${OUTFILE}"
RequestExecutionLevel user
InstallDir "$LOCALAPPDATA\Programs\${APP}"
InstallDirRegKey HKCU "${UNINST_KEY}" "InstallLocation"
SetCompressor /SOLID lzma
!ifdef ICON
  Icon "${ICON}"
  UninstallIcon "${ICON}"
!endif

!include "MUI2.nsh"
!define MUI_FINISHPAGE_RUN "$INSTDIR\${APP}.exe"
; the licence (GPL-3.0-or-later) before anything is installed; LICENSES names the folder of
; bundled components' licences and the source offer (packaging/licenses.py's output)
!insertmacro MUI_PAGE_LICENSE "${__FILEDIR__}\..\..\LICENSE"
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"

!macro OpenWith EXT
  WriteRegStr HKCU "Software\Classes\Applications\${APP}.exe\SupportedTypes" "${EXT}" ""
  WriteRegStr HKCU "Software\Classes\${EXT}\OpenWithList\${APP}.exe" "" ""
!macroend

!macro UnOpenWith EXT
  DeleteRegKey HKCU "Software\Classes\${EXT}\OpenWithList\${APP}.exe"
!macroend

Function .onVerifyInstDir
  ; A folder that already holds other things is never used: the uninstaller must be able to
  ; remove its folder without touching anything it did not put there.
  IfFileExists "$INSTDIR\video-archive.exe" ok
  FindFirst $0 $1 "$INSTDIR\*"
  loop:
    StrCmp $1 "" empty
    StrCmp $1 "." next
    StrCmp $1 ".." next
    FindClose $0
    Abort
  next:
    FindNext $0 $1
    Goto loop
  empty:
    FindClose $0
  ok:
FunctionEnd

Section "Install"
  SetOutPath "$INSTDIR"
  ; an upgrade replaces the program files, never the user's data (which is not here)
  RMDir /r "$INSTDIR\_internal"
  File "${DIST}\video-archive.exe"
  File "${DIST}\${APP}.exe"
  File /r "${DIST}\_internal"
  File "/oname=LICENSE.txt" "${__FILEDIR__}\..\..\LICENSE"
!ifdef LICENSES
  SetOutPath "$INSTDIR\licenses"
  File /r "${LICENSES}\*"
  SetOutPath "$INSTDIR"
!endif
  WriteUninstaller "$INSTDIR\uninstall.exe"
  ; "Open with" on video files (per user, HKCU): the windowed app with the file as its master
  WriteRegStr HKCU "Software\Classes\Applications\${APP}.exe\shell\open\command" "" '"$INSTDIR\${APP}.exe" app "%1"'
  WriteRegStr HKCU "Software\Classes\Applications\${APP}.exe" "FriendlyAppName" "${APP}"
  !insertmacro OpenWith ".mp4"
  !insertmacro OpenWith ".mov"
  !insertmacro OpenWith ".mkv"
  !insertmacro OpenWith ".mxf"
  !insertmacro OpenWith ".webm"
  !insertmacro OpenWith ".avi"
  !insertmacro OpenWith ".m4v"
  CreateShortcut "$SMPROGRAMS\${APP}.lnk" "$INSTDIR\${APP}.exe"
  WriteRegStr HKCU "${UNINST_KEY}" "DisplayName" "${APP}"
  WriteRegStr HKCU "${UNINST_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINST_KEY}" "Publisher" "Yambo Studio"
  WriteRegStr HKCU "${UNINST_KEY}" "DisplayIcon" "$INSTDIR\${APP}.exe"
  WriteRegStr HKCU "${UNINST_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINST_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegDWORD HKCU "${UNINST_KEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINST_KEY}" "NoRepair" 1
SectionEnd

Section "Uninstall"
  ; Only what Install put there; %LOCALAPPDATA%\video-archive (state.db, backups, cache) stays.
  Delete "$SMPROGRAMS\${APP}.lnk"
  Delete "$INSTDIR\video-archive.exe"
  Delete "$INSTDIR\${APP}.exe"
  RMDir /r "$INSTDIR\_internal"
  RMDir /r "$INSTDIR\licenses"
  Delete "$INSTDIR\LICENSE.txt"
  Delete "$INSTDIR\uninstall.exe"
  DeleteRegKey HKCU "Software\Classes\Applications\${APP}.exe"
  !insertmacro UnOpenWith ".mp4"
  !insertmacro UnOpenWith ".mov"
  !insertmacro UnOpenWith ".mkv"
  !insertmacro UnOpenWith ".mxf"
  !insertmacro UnOpenWith ".webm"
  !insertmacro UnOpenWith ".avi"
  !insertmacro UnOpenWith ".m4v"
  RMDir "$INSTDIR"
  DeleteRegKey HKCU "${UNINST_KEY}"
SectionEnd
