// Body Part Examined (0018,0015) defined terms -> SNOMED CT, from DICOM PS3.16 Annex L
// (Table L-1, "Anatomic Region, Body Part Examined and SNOMED CT correspondence"). The common
// terms of radiology; a term not listed here keeps its text as bodySite.display.
#include "dicom/body_part.h"

#include <algorithm>
#include <cctype>

namespace dicomlake::dicom {
namespace {

struct BodyPart {
  const char* term;
  const char* code;
  const char* meaning;
};

// Sorted by term (binary search).
constexpr BodyPart kBodyParts[] = {
    {"ABDOMEN", "818981001", "Abdomen"},
    {"ABDOMENPELVIS", "818982008", "Abdomen and Pelvis"},
    {"ADRENAL", "23451007", "Adrenal gland"},
    {"ANKLE", "70258002", "Ankle joint"},
    {"AORTA", "15825003", "Aorta"},
    {"APPENDIX", "66754008", "Appendix"},
    {"AXILLA", "91470000", "Axilla"},
    {"BACK", "77568009", "Back"},
    {"BILEDUCT", "28273000", "Bile duct"},
    {"BLADDER", "89837001", "Bladder"},
    {"BRAIN", "12738006", "Brain"},
    {"BREAST", "76752008", "Breast"},
    {"BRONCHUS", "955009", "Bronchus"},
    {"BUTTOCK", "46862004", "Buttock"},
    {"CALCANEUS", "80144004", "Calcaneus"},
    {"CALF", "53840002", "Calf of leg"},
    {"CAROTID", "69105007", "Carotid Artery"},
    {"CEREBELLUM", "113305005", "Cerebellum"},
    {"CERVIX", "71252005", "Cervix"},
    {"CHEEK", "60819002", "Cheek"},
    {"CHEST", "43799004", "Chest"},
    {"CHESTABDOMEN", "416550000", "Chest and Abdomen"},
    {"CHESTABDPELVIS", "416775004", "Chest, Abdomen and Pelvis"},
    {"CIRCLEOFWILLIS", "11279006", "Circle of Willis"},
    {"CLAVICLE", "51299004", "Clavicle"},
    {"COCCYX", "64688005", "Coccyx"},
    {"COLON", "71854001", "Colon"},
    {"CORNEA", "28726007", "Cornea"},
    {"CORONARYARTERY", "41801008", "Coronary artery"},
    {"CSPINE", "122494005", "Cervical spine"},
    {"CTSPINE", "1217257000", "Cervico-thoracic spine"},
    {"DUODENUM", "38848004", "Duodenum"},
    {"EAR", "117590005", "Ear"},
    {"ELBOW", "16953009", "Elbow joint"},
    {"ESOPHAGUS", "32849002", "Esophagus"},
    {"EXTREMITY", "66019005", "Extremity"},
    {"EYE", "81745001", "Eye"},
    {"EYELID", "80243003", "Eyelid"},
    {"FACE", "89545001", "Face"},
    {"FEMUR", "71341001", "Femur"},
    {"FIBULA", "87342007", "Fibula"},
    {"FINGER", "7569003", "Finger"},
    {"FOOT", "56459004", "Foot"},
    {"FOREARM", "14975008", "Forearm"},
    {"GALLBLADDER", "28231008", "Gallbladder"},
    {"HAND", "85562004", "Hand"},
    {"HEAD", "69536005", "Head"},
    {"HEADNECK", "774007", "Head and Neck"},
    {"HEART", "80891009", "Heart"},
    {"HIP", "24136001", "Hip joint"},
    {"HUMERUS", "85050009", "Humerus"},
    {"ILEUM", "34516001", "Ileum"},
    {"ILIUM", "22356005", "Ilium"},
    {"JAW", "661005", "Jaw region"},
    {"JEJUNUM", "21306003", "Jejunum"},
    {"KIDNEY", "64033007", "Kidney"},
    {"KNEE", "72696002", "Knee"},
    {"LARYNX", "4596009", "Larynx"},
    {"LIVER", "10200004", "Liver"},
    {"LOWERLEG", "30021000", "Lower leg"},
    {"LOWERLIMB", "61685007", "Lower limb"},
    {"LSPINE", "122496007", "Lumbar spine"},
    {"LSSPINE", "1217253001", "Lumbo-sacral spine"},
    {"LUNG", "39607008", "Lung"},
    {"MANDIBLE", "91609006", "Mandible"},
    {"MAXILLA", "70925003", "Maxilla"},
    {"MEDIASTINUM", "72410000", "Mediastinum"},
    {"MOUTH", "123851003", "Mouth"},
    {"NECK", "45048000", "Neck"},
    {"NECKCHEST", "417437006", "Neck and Chest"},
    {"NECKCHESTABDOMEN", "416152001", "Neck, Chest and Abdomen"},
    {"NECKCHESTABDPELV", "416319003", "Neck, Chest, Abdomen and Pelvis"},
    {"NOSE", "45206002", "Nose"},
    {"ORBIT", "363654007", "Orbital structure"},
    {"OVARY", "15497006", "Ovary"},
    {"PANCREAS", "15776009", "Pancreas"},
    {"PAROTID", "45289007", "Parotid gland"},
    {"PATELLA", "64234005", "Patella"},
    {"PELVIS", "816092008", "Pelvis"},
    {"PENIS", "18911002", "Penis"},
    {"PHARYNX", "54066008", "Pharynx"},
    {"PROSTATE", "41216001", "Prostate"},
    {"RADIUS", "62413002", "Radius"},
    {"RECTUM", "34402009", "Rectum"},
    {"RIB", "113197003", "Rib"},
    {"SCALP", "41695006", "Scalp"},
    {"SCAPULA", "79601000", "Scapula"},
    {"SCROTUM", "20233005", "Scrotum"},
    {"SHOULDER", "16982005", "Shoulder"},
    {"SKULL", "89546000", "Skull"},
    {"SPINE", "421060004", "Spine"},
    {"SPLEEN", "78961009", "Spleen"},
    {"SSPINE", "54735007", "Sacrum"},
    {"STERNUM", "56873002", "Sternum"},
    {"STOMACH", "69695003", "Stomach"},
    {"THYROID", "69748006", "Thyroid"},
    {"TSPINE", "122495006", "Thoracic spine"},
    {"UTERUS", "35039007", "Uterus"},
    {"WHOLEBODY", "38266002", "Entire body"},
    {"WRIST", "74670003", "Wrist joint"},
};

}  // namespace

std::string NormalizeBodyPartTerm(std::string_view body_part) {
  std::string term;
  for (char c : body_part) {
    if (c == ' ' || c == '_' || c == '-') continue;  // "CHEST ABDOMEN" == "CHESTABDOMEN"
    term += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return term;
}

std::optional<SnomedConcept> BodyPartToSnomed(std::string_view body_part) {
  std::string term = NormalizeBodyPartTerm(body_part);
  const auto* end = std::end(kBodyParts);
  const auto* it =
      std::lower_bound(std::begin(kBodyParts), end, term,
                       [](const BodyPart& p, const std::string& t) { return t > p.term; });
  if (it == end || term != it->term) return std::nullopt;
  return SnomedConcept{it->code, it->meaning};
}

std::vector<std::string> BodyPartTerms() {
  std::vector<std::string> out;
  for (const auto& p : kBodyParts) out.emplace_back(p.term);
  return out;
}

}  // namespace dicomlake::dicom
